import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { benifySignature } from '../../../src/ingest/http/benify-signature.js';
import { createIngestServer } from '../../../src/ingest/http/ingest-server.js';
import {
  ACTIWAY_PASSWORD, ACTIWAY_USER, BENIFY_PREVIOUS_SECRET, BENIFY_SECRET,
  actiwayOrder, assertNoInternals, basic, benifyOrder, nowSeconds, postActiway, postBenify, send, startPushRig,
  type PushRig, type Response,
} from './helpers.js';

const UNAUTHORIZED_JSON = '{"status":"unauthorized"}';
const UNAUTHORIZED_XML = '<ActiwayReceipt status="unauthorized"/>';

function assertBenify401(r: Response): void {
  assert.equal(r.status, 401);
  assert.equal(r.text, UNAUTHORIZED_JSON);
  assertNoInternals(r);
}

function assertActiway401(r: Response): void {
  assert.equal(r.status, 401);
  assert.equal(r.text, UNAUTHORIZED_XML);
  assert.equal(r.headers['www-authenticate'], 'Basic realm="actiway"');
  assert.equal(r.headers['content-type'], 'application/xml; charset=utf-8');
}

describe('push security', () => {
  let rig: PushRig;
  before(async () => {
    rig = await startPushRig();
  });
  after(async () => rig?.close());

  describe('Benify signature', () => {
    const body = () => JSON.stringify(benifyOrder('BNF-SEC-1'));

    test('wrong secret, missing signature, missing timestamp, malformed values → the same 401', async () => {
      assertBenify401(await postBenify(rig, body(), { secret: 'some-other-secret-0123456789' }));
      assertBenify401(await postBenify(rig, body(), { signature: null }));
      assertBenify401(await postBenify(rig, body(), { timestamp: null, signature: benifySignature(BENIFY_SECRET, nowSeconds(), body()) }));
      assertBenify401(await postBenify(rig, body(), { signature: 'v1=' }));
      assertBenify401(await postBenify(rig, body(), { signature: 'v1=zz' + 'a'.repeat(62) }));
      assertBenify401(await postBenify(rig, body(), { signature: benifySignature(BENIFY_SECRET, nowSeconds(), body()).toUpperCase() }));
      assertBenify401(await postBenify(rig, body(), { signature: benifySignature(BENIFY_SECRET, nowSeconds(), body()).replace('v1=', 'v0=') }));
      assertBenify401(await postBenify(rig, body(), { timestamp: '12ab' }));
      assertBenify401(await postBenify(rig, body(), { timestamp: `${nowSeconds()}.5` }));
      assert.equal(await rig.pipeline.services.ledger.keyForPortalOrder('benify', 'BNF-SEC-1'), undefined, 'nothing was stored');
    });

    test('a replayed (old) or future timestamp outside 300 s → 401; just inside the window → accepted', async () => {
      assertBenify401(await postBenify(rig, body(), { timestamp: nowSeconds() - 301 }));
      assertBenify401(await postBenify(rig, body(), { timestamp: nowSeconds() - 3600 }));
      assertBenify401(await postBenify(rig, body(), { timestamp: nowSeconds() + 301 }));
      const r = await postBenify(rig, JSON.stringify(benifyOrder('BNF-SEC-WINDOW')), { timestamp: nowSeconds() - 290 });
      assert.equal(r.status, 202);
      const f = await postBenify(rig, JSON.stringify(benifyOrder('BNF-SEC-FUTURE')), { timestamp: nowSeconds() + 290 });
      assert.equal(f.status, 202);
    });

    test('a signature over a different body, or under a different timestamp, → 401', async () => {
      const ts = nowSeconds();
      const other = JSON.stringify(benifyOrder('BNF-SEC-OTHER'));
      assertBenify401(await postBenify(rig, body(), { timestamp: ts, signature: benifySignature(BENIFY_SECRET, ts, other) }));
      // One byte of whitespace more is a different body.
      assertBenify401(await postBenify(rig, `${body()} `, { timestamp: ts, signature: benifySignature(BENIFY_SECRET, ts, body()) }));
      assertBenify401(await postBenify(rig, body(), { timestamp: ts, signature: benifySignature(BENIFY_SECRET, ts - 1, body()) }));
    });

    test('rotation: the previous secret is accepted, and either of two v1= values may match', async () => {
      const a = await postBenify(rig, JSON.stringify(benifyOrder('BNF-ROT-1')), { secret: BENIFY_PREVIOUS_SECRET });
      assert.equal(a.status, 202);
      const ts = nowSeconds();
      const raw = JSON.stringify(benifyOrder('BNF-ROT-2'));
      const both = `${benifySignature('unknown-secret-xxxxxxxxxx', ts, raw)},${benifySignature(BENIFY_SECRET, ts, raw)}`;
      const b = await postBenify(rig, raw, { timestamp: ts, signature: both });
      assert.equal(b.status, 202);
      const spaced = `${benifySignature(BENIFY_PREVIOUS_SECRET, ts, raw)}, v1=${'0'.repeat(64)}`;
      assert.equal((await postBenify(rig, raw, { timestamp: ts, signature: spaced })).status, 200, 'redelivered: duplicate');
      const neither = `v1=${'0'.repeat(64)},${benifySignature('unknown-secret-xxxxxxxxxx', ts, raw)}`;
      assertBenify401(await postBenify(rig, raw, { timestamp: ts, signature: neither }));
    });

    test('the status look-up is signed over the path: missing/wrong signature or old timestamp → 401', async () => {
      const url = `${rig.server.url}/portals/benify/orders/BNF-ROT-1`;
      assertBenify401(await send(url));
      const ts = nowSeconds();
      assertBenify401(await send(url, { headers: { 'x-benify-timestamp': String(ts), 'x-benify-signature': benifySignature(BENIFY_SECRET, ts, 'POST /portals/benify/orders/BNF-ROT-1') } }));
      const old = ts - 400;
      assertBenify401(await send(url, { headers: { 'x-benify-timestamp': String(old), 'x-benify-signature': benifySignature(BENIFY_SECRET, old, 'GET /portals/benify/orders/BNF-ROT-1') } }));
      const ok = await send(url, { headers: { 'x-benify-timestamp': String(ts), 'x-benify-signature': benifySignature(BENIFY_SECRET, ts, 'GET /portals/benify/orders/BNF-ROT-1') } });
      assert.equal(ok.status, 200);
      assert.equal((ok.json() as { orderId: string }).orderId, 'BNF-ROT-1');
    });

    test('wrong content type → 415 (after the signature), missing → 415; unsigned → 401 first', async () => {
      const raw = JSON.stringify(benifyOrder('BNF-SEC-CT'));
      const r = await postBenify(rig, raw, { contentType: 'text/plain' });
      assert.equal(r.status, 415);
      assert.equal(r.text, '{"status":"invalid","errors":[{"path":"","message":"Content-Type must be application/json"}]}');
      assert.equal((await postBenify(rig, raw, { contentType: null })).status, 415);
      assert.equal((await postBenify(rig, raw, { contentType: 'application/json; charset=iso-8859-1' })).status, 415);
      assert.equal((await postBenify(rig, raw, { contentType: 'application/jsonp' })).status, 415);
      assertBenify401(await postBenify(rig, raw, { contentType: 'text/plain', signature: null }));
      const ok = await postBenify(rig, raw, { contentType: 'Application/JSON; charset="UTF-8"' });
      assert.equal(ok.status, 202);
    });

    test('a body over 256 KiB → 413', async () => {
      const big = JSON.stringify(benifyOrder('BNF-BIG', (o) => { o.message = 'x'.repeat(300 * 1024); }));
      const r = await postBenify(rig, big);
      assert.equal(r.status, 413);
      assert.equal(r.text, '{"status":"invalid","errors":[{"path":"","message":"the body exceeds 262144 bytes"}]}');
      assertNoInternals(r);
    });
  });

  describe('Actiway Basic auth', () => {
    test('wrong password, wrong user, missing header, other schemes, garbage → 401 with WWW-Authenticate', async () => {
      const xml = actiwayOrder('AW-SEC-1');
      assertActiway401(await postActiway(rig, xml, { authorization: basic(ACTIWAY_USER, 'wrong-password') }));
      assertActiway401(await postActiway(rig, xml, { authorization: basic(ACTIWAY_USER, `${ACTIWAY_PASSWORD}x`) }));
      assertActiway401(await postActiway(rig, xml, { authorization: basic(ACTIWAY_USER, ACTIWAY_PASSWORD.slice(0, -1)) }));
      assertActiway401(await postActiway(rig, xml, { authorization: basic('someone', ACTIWAY_PASSWORD) }));
      assertActiway401(await postActiway(rig, xml, { authorization: null }));
      assertActiway401(await postActiway(rig, xml, { authorization: `Bearer ${ACTIWAY_PASSWORD}` }));
      assertActiway401(await postActiway(rig, xml, { authorization: 'Basic !!!' }));
      // Credentials that are not UTF-8 are no credentials (never compared with U+FFFD in them).
      const notUtf8 = Buffer.concat([Buffer.from(`${ACTIWAY_USER}:${ACTIWAY_PASSWORD}`), Buffer.from([0xff])]);
      assertActiway401(await postActiway(rig, xml, { authorization: `Basic ${notUtf8.toString('base64')}` }));
      assertActiway401(await postActiway(rig, xml, { authorization: `Basic ${Buffer.from(ACTIWAY_USER + ACTIWAY_PASSWORD).toString('base64')}` }));
      assert.equal(await rig.pipeline.services.ledger.keyForPortalOrder('actiway', 'AW-SEC-1'), undefined);
    });

    test('unauthenticated requests are refused before the body is judged (no 413/415 leak)', async () => {
      assertActiway401(await postActiway(rig, 'x'.repeat(300 * 1024), { authorization: null, contentType: 'text/plain' }));
    });

    test('billion laughs → 400 before any parsing, fast, nothing expanded', async () => {
      const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ActiwayOrder xmlns="urn:actiway:order:1" id="AW-LOL"><Company orgNo="5561234567">&lol9;</Company></ActiwayOrder>`;
      const started = performance.now();
      const r = await postActiway(rig, lol);
      const ms = performance.now() - started;
      assert.equal(r.status, 400);
      assert.equal(r.text, '<ActiwayReceipt status="rejected"><Error path="/">a DOCTYPE or entity declaration is not accepted</Error></ActiwayReceipt>');
      assert.ok(ms < 500, `answered in ${ms.toFixed(0)} ms`);
      // An external entity (XXE) the same way.
      const xxe = actiwayOrder('AW-XXE').replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>');
      const r2 = await postActiway(rig, xxe);
      assert.equal(r2.status, 400);
      assert.ok(!r2.text.includes('root:'));
      assert.equal(await rig.pipeline.services.ledger.keyForPortalOrder('actiway', 'AW-LOL'), undefined);
    });

    test('a body over 256 KiB → 413; wrong content type → 415; not UTF-8 → 400', async () => {
      const big = actiwayOrder('AW-BIG', { comment: 'x'.repeat(300 * 1024) });
      const r = await postActiway(rig, big);
      assert.equal(r.status, 413);
      assert.equal(r.text, '<ActiwayReceipt status="rejected"><Error path="/">the body exceeds 262144 bytes</Error></ActiwayReceipt>');
      const ct = await postActiway(rig, actiwayOrder('AW-CT'), { contentType: 'application/json' });
      assert.equal(ct.status, 415);
      assert.equal(ct.text, '<ActiwayReceipt status="rejected"><Error path="/">Content-Type must be application/xml</Error></ActiwayReceipt>');
      assert.equal((await postActiway(rig, actiwayOrder('AW-CT'), { contentType: 'application/xml; charset=iso-8859-1' })).status, 415);
      const latin1 = await postActiway(rig, Buffer.from(actiwayOrder('AW-L1', { firstName: 'Åsa' }), 'latin1'));
      assert.equal(latin1.status, 400);
      assert.equal(latin1.text, '<ActiwayReceipt status="rejected"><Error path="/">the document is not valid UTF-8 (line 5, byte 209)</Error></ActiwayReceipt>');
    });
  });

  describe('routing and errors', () => {
    test('unknown routes → 404, in the portal’s format under its prefix', async () => {
      const a = await send(`${rig.server.url}/`);
      assert.equal(a.status, 404);
      assert.equal(a.text, '{"status":"not-found"}');
      const b = await send(`${rig.server.url}/portals/wellnet/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
      assert.equal(b.status, 404, 'a body to an unknown URL is not parsed');
      assert.equal(b.text, '{"status":"not-found"}');
      const c = await send(`${rig.server.url}/portals/actiway/orders/AW-1`);
      assert.equal(c.status, 404);
      assert.equal(c.text, '<ActiwayReceipt status="not-found"/>');
      const d = await send(`${rig.server.url}/portals/benify/order`);
      assert.equal(d.status, 404);
      // `/portals/benify/orders/` is the status look-up with an empty id: signed like any other.
      assertBenify401(await send(`${rig.server.url}/portals/benify/orders/`));
      for (const r of [a, b, c, d]) assertNoInternals(r);
    });

    test('wrong methods on known routes → 405 with Allow', async () => {
      const cases: Array<[string, string, string]> = [
        ['GET', '/portals/benify/orders', 'POST'],
        ['PUT', '/portals/benify/orders', 'POST'],
        ['DELETE', '/portals/benify/orders/BNF-1', 'GET'],
        ['POST', '/portals/benify/orders/BNF-1', 'GET'],
        ['HEAD', '/portals/benify/orders/BNF-1', 'GET'],
        ['GET', '/portals/actiway/orders', 'POST'],
        ['PATCH', '/portals/actiway/orders', 'POST'],
      ];
      for (const [method, path, allow] of cases) {
        const r = await send(`${rig.server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'GET' || method === 'HEAD' ? {} : { body: '{"broken":' }) });
        assert.equal(r.status, 405, `${method} ${path}`);
        assert.equal(r.headers.allow, allow, `${method} ${path}`);
        if (method !== 'HEAD') {
          assert.equal(r.text, path.startsWith('/portals/actiway/') ? '<ActiwayReceipt status="method-not-allowed"/>' : '{"status":"method-not-allowed"}');
        }
      }
    });

    test('malformed requests → 4xx without internals', async () => {
      const badUrl = await send(`${rig.server.url}/portals/benify/orders/%E0%A4%A`);
      assert.equal(badUrl.status, 400);
      assert.equal(badUrl.text, '{"status":"invalid","errors":[{"path":"","message":"malformed request"}]}');
      assertNoInternals(badUrl);
      assert.ok(!badUrl.text.includes('%E0'), 'the URL is not quoted back');
      // Unsigned: refused before anything else, whatever the Content-Type.
      assertBenify401(await send(`${rig.server.url}/portals/benify/orders`, { method: 'POST', headers: { 'content-type': '/' }, body: '{}' }));
      const ts = nowSeconds();
      const signedHeaders = { 'x-benify-timestamp': String(ts), 'x-benify-signature': benifySignature(BENIFY_SECRET, ts, '{}') };
      const badCt = await send(`${rig.server.url}/portals/benify/orders`, { method: 'POST', headers: { 'content-type': '/', ...signedHeaders }, body: '{}' });
      // A Content-Type that is not even a media type is refused by Fastify before any route code.
      assert.equal(badCt.status, 415);
      assert.equal(badCt.text, '{"status":"invalid","errors":[{"path":"","message":"unsupported Content-Type"}]}');
      assertNoInternals(badCt);
      const longId = await send(`${rig.server.url}/portals/benify/orders/${'x'.repeat(200)}`);
      assert.equal(longId.status, 400);
      assert.ok(!longId.text.includes('xxxxxxxx'), 'the path is not quoted back');
      assertNoInternals(longId);
    });

    test('only configured portals get routes', async () => {
      const services = rig.pipeline.services;
      const app = createIngestServer({ ...services, config: { ...services.config, portals: { benify: services.config.portals.benify } } });
      const r = await app.inject({ method: 'POST', url: '/portals/actiway/orders', headers: { 'content-type': 'application/xml', authorization: basic(ACTIWAY_USER, ACTIWAY_PASSWORD) }, payload: actiwayOrder('AW-OFF') });
      const g = await app.inject({ method: 'GET', url: '/portals/actiway/orders' });
      const b = await app.inject({ method: 'POST', url: '/portals/benify/orders', headers: { 'content-type': 'application/json' }, payload: '{}' });
      await app.close();
      assert.equal(r.statusCode, 404);
      assert.equal(r.body, '<ActiwayReceipt status="not-found"/>');
      assert.equal(g.statusCode, 404, 'no 405 for a portal that is not configured');
      assert.equal(b.statusCode, 401, 'benify is still there');
    });

    test('an unexpected exception → 500 {"status":"error"}, nothing of it in the body', async () => {
      const app = createIngestServer(rig.pipeline.services);
      app.get('/boom', async () => {
        throw new Error('internal detail at /src/secret.ts with 19111111-1116');
      });
      const r = await app.inject({ method: 'GET', url: '/boom' });
      await app.close();
      assert.equal(r.statusCode, 500);
      assert.equal(r.body, '{"status":"error"}');
    });

    test('no error body carries a stack trace or an exception message', async () => {
      const notJson = '{"status":"invalid","errors":[{"path":"","message":"the body is not valid JSON"}]}';
      const notXml = (line: string) => `<ActiwayReceipt status="rejected"><Error path="/">is not well-formed XML${line}</Error></ActiwayReceipt>`;
      const cases: Array<[Response, number, string]> = [
        [await postBenify(rig, '{'), 400, notJson.replace('valid JSON', 'valid JSON (line 1, column 2)')],
        [await postBenify(rig, Buffer.alloc(0)), 400, notJson],
        [await postBenify(rig, JSON.stringify(benifyOrder('BNF-ERR', (o) => { o.lines = 'many'; }))), 400, '{"status":"invalid","errors":[{"path":"lines","message":"must be an array"}]}'],
        [await postActiway(rig, '<ActiwayOrder'), 400, notXml(' (line 1)')],
        [await postActiway(rig, ''), 400, notXml(' (line 1)')],
        [await postActiway(rig, '<ActiwayOrder xmlns="urn:actiway:order:1" id="AW-P"><__proto__/></ActiwayOrder>'), 400, notXml('')],
      ];
      for (const [r, status, body] of cases) {
        assert.equal(r.status, status, r.text);
        assert.equal(r.text, body);
        assertNoInternals(r);
      }
    });
  });
});
