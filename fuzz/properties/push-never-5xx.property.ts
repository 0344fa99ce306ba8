import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { request } from 'undici';
import { benifySignature } from '../../src/ingest/http/benify-signature.js';
import { ALL_PORTALS_SECRETS, startAllPortals } from '../../test/helpers/all-portals.js';
import { buildPayload, hostileCase, type HostileCase } from '../arbitraries/hostile-payloads.js';
import { hostileString, mutateTree, treeMutations, type TreeMutation } from '../arbitraries/hostile-values.js';
import { freshOrderIds } from '../case-ids.js';
import { CaseTally } from '../case-tally.js';
import { auditLogWanted, fuzzParameters } from '../fuzz-parameters.js';

/**
 * The push endpoints never answer 5xx to malformed input. Benify and Actiway over real HTTP, with
 * valid credentials (Benify's HMAC over the very bytes sent, Actiway's Basic login), and bodies
 * that are anything but what the contract says: the hostile corpus, a valid Benify order with
 * nodes replaced by hostile values, random bytes, random JSON, XML-looking text, a body over the
 * limit; Content-Types right and wrong. Every answer is 2xx or 4xx, in the portal's own format. A
 * 5xx would be a bug: the ledger and Redis are up, so 503 `unavailable` is never the truth here.
 * Benify's signed status look-up gets hostile order ids the same way.
 */

type Body =
  | { kind: 'corpus'; c: HostileCase }
  | { kind: 'benifyTree'; mutations: TreeMutation[] }
  | { kind: 'bytes'; bytes: number[] }
  | { kind: 'text'; text: string }
  | { kind: 'oversized' };

type Case =
  | { kind: 'post'; portal: 'benify' | 'actiway'; body: Body; contentType: string | undefined }
  /** The order id as UTF-8 bytes (or not UTF-8 at all), percent-encoded into the path. */
  | { kind: 'status'; orderId: number[] };

const body = (portal: 'benify' | 'actiway'): fc.Arbitrary<Body> => fc.oneof(
  { weight: 100, arbitrary: hostileCase(portal).map((c) => ({ kind: 'corpus' as const, c })) },
  { weight: 60, arbitrary: treeMutations.map((mutations) => ({ kind: 'benifyTree' as const, mutations })) },
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => ({ kind: 'bytes' as const, bytes: [...b] })) },
  {
    weight: 20,
    arbitrary: fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
      hostileString,
      hostileString.map((s) => `<?xml version="1.0"?><ActiwayOrder xmlns="urn:actiway:order:1" id="${s}"><Items><Item articleNo="${s}"/></Items></ActiwayOrder>`),
      fc.string({ unit: 'binary', maxLength: 200 }),
    ).map((text) => ({ kind: 'text' as const, text })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'oversized' as const }) },
);

const contentType = (portal: 'benify' | 'actiway') =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(portal === 'benify' ? 'application/json' : 'application/xml; charset=utf-8') },
    { weight: 1, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/json; charset=latin1', 'APPLICATION/XML', 'application/xml;;', 'multipart/form-data; boundary=x', '') },
  );

const anyCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('benify' as const, 'actiway' as const).chain((portal) => fc.record({ kind: fc.constant('post' as const), portal: fc.constant(portal), body: body(portal), contentType: contentType(portal) })) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.oneof(hostileString, fc.string({ unit: 'binary', maxLength: 50 })).map((id) => [...Buffer.from(id, 'utf8')]),
      fc.uint8Array({ maxLength: 20 }).map((b) => [...b]),
    ).map((orderId) => ({ kind: 'status' as const, orderId })),
  },
);

const BENIFY_ORDER = { orderId: 'X', placedAt: '2026-11-20T10:31:00+01:00', employer: { orgNumber: '556016-0680', name: 'Org AB' }, employee: { firstName: 'Tessan', lastName: 'Testsson', personalIdentityNumber: '19111111-1116', address: { street: 'Gatan 1', postalCode: '12345', city: 'Stad', countryCode: 'SE' } }, supplier: { venueId: 'odenplan' }, lines: [{ articleId: 'GYM-12M', startDate: '2027-01-01', priceInclVat: { amount: '100.00', currency: 'SEK' } }] };

function bytesOf(b: Body, portal: 'benify' | 'actiway', id: string): Buffer {
  switch (b.kind) {
    case 'corpus':
      return Buffer.from(buildPayload(b.c, freshOrderIds(b.c)));
    case 'benifyTree':
      return Buffer.from(JSON.stringify(mutateTree({ ...BENIFY_ORDER, orderId: id }, b.mutations)) ?? '');
    case 'bytes':
      return Buffer.from(b.bytes);
    case 'text':
      return Buffer.from(b.text, 'utf8');
    case 'oversized':
      return Buffer.alloc(300 * 1024, portal === 'benify' ? ' ' : '<');
  }
}

test('the push endpoints answer every malformed or hostile body with 2xx or 4xx, never 5xx', async (t) => {
  const rig = await startAllPortals({ auditLog: auditLogWanted() });
  t.after(() => rig.close());
  const s = ALL_PORTALS_SECRETS;
  const basic = `Basic ${Buffer.from(`${s.actiwayUser}:${s.actiwayPassword}`).toString('base64')}`;
  const tally = new CaseTally();
  let n = 0;

  await fc.assert(
    fc.asyncProperty(anyCase, async (k) => {
      tally.case();
      const ts = String(Math.floor(Date.now() / 1000));
      let status: number;
      let text: string;
      let portal: 'benify' | 'actiway';
      if (k.kind === 'status') {
        portal = 'benify';
        // Byte by byte: encodeURIComponent cannot write a lone surrogate, and bytes that are not UTF-8 are a case too.
        const path = `/portals/benify/orders/${k.orderId.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')}`;
        const r = await request(`${rig.server.url}${path}`, { method: 'GET', headers: { 'x-benify-timestamp': ts, 'x-benify-signature': benifySignature(s.benify, ts, `GET ${path}`) } });
        status = r.statusCode;
        text = await r.body.text();
      } else {
        portal = k.portal;
        const bytes = bytesOf(k.body, k.portal, `FZP${Date.now().toString(36)}-${++n}0`);
        const headers: Record<string, string> = k.portal === 'benify'
          ? { 'x-benify-timestamp': ts, 'x-benify-signature': benifySignature(s.benify, ts, bytes) }
          : { authorization: basic };
        if (k.contentType !== undefined) headers['content-type'] = k.contentType;
        const r = await request(`${rig.server.url}/portals/${k.portal}/orders`, { method: 'POST', headers, body: bytes });
        status = r.statusCode;
        text = await r.body.text();
      }
      tally.add(String(status));
      assert.ok(status >= 200 && status < 500, `${k.kind === 'status' ? 'status look-up' : `POST ${portal}`} answered ${status}: ${text.slice(0, 300)}`);
      if (portal === 'benify') assert.doesNotThrow(() => JSON.parse(text), `not Benify's JSON: ${text.slice(0, 200)}`);
      else assert.match(text, /^<ActiwayReceipt status="[a-z-]+"/, 'not an Actiway receipt');
    }),
    fuzzParameters(),
  );
  t.diagnostic(tally.toString());
  // Not only refusals: valid-enough bodies get through to intake too.
  assert.ok(tally.get('202') / tally.cases >= 0.05, `only ${tally.get('202')} of ${tally.cases} bodies were accepted`);
});
