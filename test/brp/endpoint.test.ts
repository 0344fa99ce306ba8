import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Portal } from '../../src/domain/canonical-order.js';
import { isPartnerdError } from '../../src/errors.js';
import { PARTNER_ORDER_CONTENT_TYPE, partnerOrderUrl, redactedUrl, withApiKey } from '../../src/brp/endpoint.js';

const EXPECTED: Record<Portal, string> = {
  benify: 'https://api.brpsystems.se/brpgog/webservice/partnerorders/createbenifyorder',
  wellnet: 'https://api.brpsystems.se/brpgog/webservice/partnerorders/createwellnetorder',
  sop: 'https://api.brpsystems.se/brpgog/webservice/partnerorders/createsoporder',
  actiway: 'https://api.brpsystems.se/brpgog/webservice/partnerorders/createactiwayorder',
  epassi: 'https://api.brpsystems.se/brpgog/webservice/partnerorders/createepassiorder',
};

function assertConfigInvalid(f: () => unknown, message: string): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(isPartnerdError(err, 'PD_CONFIG_INVALID'));
    assert.equal(err.message, `configuration is invalid: ${message}`);
    return true;
  });
}

describe('partnerOrderUrl', () => {
  it('builds the endpoint for all five portals, base URL with and without trailing slash', () => {
    for (const [portal, url] of Object.entries(EXPECTED) as Array<[Portal, string]>) {
      assert.equal(partnerOrderUrl('https://api.brpsystems.se/brpgog/', portal).href, url);
      assert.equal(partnerOrderUrl('https://api.brpsystems.se/brpgog', portal).href, url);
    }
  });

  it('works for a base URL without a path, and with a deeper path', () => {
    assert.equal(
      partnerOrderUrl('https://brp.example.se', 'sop').href,
      'https://brp.example.se/webservice/partnerorders/createsoporder',
    );
    assert.equal(
      partnerOrderUrl('https://brp.example.se/', 'sop').href,
      'https://brp.example.se/webservice/partnerorders/createsoporder',
    );
    assert.equal(
      partnerOrderUrl('http://localhost:8089/brp/gym1', 'epassi').href,
      'http://localhost:8089/brp/gym1/webservice/partnerorders/createepassiorder',
    );
    assert.equal(
      partnerOrderUrl('  https://api.brpsystems.se/brpgog/  ', 'benify').href,
      EXPECTED.benify,
    );
  });

  it('has no API key', () => {
    assert.equal(partnerOrderUrl('https://api.brpsystems.se/brpgog/', 'benify').search, '');
  });

  it('refuses unusable base URLs without echoing them', () => {
    assertConfigInvalid(() => partnerOrderUrl('api.brpsystems.se/brpgog', 'benify'), 'BRP base URL is not an absolute URL');
    assertConfigInvalid(() => partnerOrderUrl('', 'benify'), 'BRP base URL is not an absolute URL');
    assertConfigInvalid(() => partnerOrderUrl('ftp://api.brpsystems.se/', 'benify'), 'BRP base URL must be http(s)');
    assertConfigInvalid(
      () => partnerOrderUrl('https://user:secret@api.brpsystems.se/brpgog/', 'benify'),
      'BRP base URL must not contain credentials',
    );
    assertConfigInvalid(
      () => partnerOrderUrl('https://api.brpsystems.se/brpgog/?apikey=123', 'benify'),
      'BRP base URL must not contain a query or fragment',
    );
    assertConfigInvalid(
      () => partnerOrderUrl('https://api.brpsystems.se/brpgog/#x', 'benify'),
      'BRP base URL must not contain a query or fragment',
    );
    assertConfigInvalid(
      () => partnerOrderUrl('https://api.brpsystems.se/brpgog/', 'friskis' as Portal),
      'unknown portal for the partner-order endpoint',
    );
  });
});

describe('withApiKey', () => {
  it('adds apikey and leaves the input URL unchanged', () => {
    const url = partnerOrderUrl('https://api.brpsystems.se/brpgog', 'benify');
    const keyed = withApiKey(url, '338936767883');
    assert.equal(keyed.href, `${EXPECTED.benify}?apikey=338936767883`);
    assert.equal(url.href, EXPECTED.benify);
  });

  it('encodes the key and replaces an existing one', () => {
    const url = partnerOrderUrl('https://api.brpsystems.se/brpgog', 'sop');
    assert.equal(withApiKey(url, 'a b&c=d').href, `${EXPECTED.sop}?apikey=a+b%26c%3Dd`);
    assert.equal(withApiKey(withApiKey(url, '1'), '2').href, `${EXPECTED.sop}?apikey=2`);
  });

  it('refuses an empty key', () => {
    const url = partnerOrderUrl('https://api.brpsystems.se/brpgog', 'sop');
    assertConfigInvalid(() => withApiKey(url, ''), 'BRP API key is empty');
    assertConfigInvalid(() => withApiKey(url, '  '), 'BRP API key is empty');
  });
});

describe('redactedUrl', () => {
  it('shows apikey=***', () => {
    const url = withApiKey(partnerOrderUrl('https://api.brpsystems.se/brpgog/', 'actiway'), '338936767883');
    assert.equal(redactedUrl(url), `${EXPECTED.actiway}?apikey=***`);
    assert.equal(url.searchParams.get('apikey'), '338936767883');
  });

  it('redacts every spelling of the parameter and drops credentials', () => {
    assert.equal(
      redactedUrl(new URL('https://u:p@brp.example.se/x?APIKEY=1&lang=sv&ApiKey=2')),
      'https://brp.example.se/x?APIKEY=***&lang=sv&ApiKey=***',
    );
  });

  it('leaves a URL without a key as it is', () => {
    assert.equal(redactedUrl(new URL(EXPECTED.wellnet)), EXPECTED.wellnet);
  });
});

it('content type is the documented one', () => {
  assert.equal(PARTNER_ORDER_CONTENT_TYPE, 'application/xml; charset=utf-8');
});
