import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderPortalPayload } from '../../src/admin/render-portal-payload.js';
import { PORTALS, type FieldError, type Portal } from '../../src/domain/canonical-order.js';
import { validateOrder } from '../../src/domain/validate-order.js';
import { readPortalPayload } from '../../src/ingest/payload/read-portal-payload.js';
import { toPortalOrder } from '../../src/portals/portal-registry.js';
import { SOP_HEADER } from '../../src/portals/sop.js';
import { startAllPortals } from '../../test/helpers/all-portals.js';
import { canonicalCase, canonicalInput } from '../arbitraries/canonical-orders.js';
import { buildPayload, hostileCase, type HostileCase } from '../arbitraries/hostile-payloads.js';
import { hostileString, hostileValue, mutateTree, treeMutations } from '../arbitraries/hostile-values.js';
import { freshOrderIds } from '../case-ids.js';
import { CaseTally } from '../case-tally.js';
import { auditLogWanted, fuzzParameters } from '../fuzz-parameters.js';
import { ingestPayload } from '../portal-ingest.js';

/**
 * No exception escapes. Whatever it is given, each stage answers with a result or a rejection
 * whose every problem is a {path, message} of text (the FieldError every stage reports in), and
 * never throws:
 *  - the shared validation (validateOrder) with canonical orders whose nodes were replaced by
 *    hostile values, and with anything at all;
 *  - every portal's adapter (toPortalOrder) with its own payload shape mutated the same way, and
 *    with values of any type;
 *  - the payload reader (readPortalPayload) and `partnerd render` with the hostile corpus and with
 *    random bytes;
 *  - real intake of all five portals with the same bytes: a push answer below 500, a poll that
 *    ends `ok` or backs off (never `failed`: an exception inside), an S&P file archived or
 *    rejected (never thrown out of the file drop or left `failed` in the inbox);
 * and no promise is left rejected unhandled.
 */

type Case =
  | { kind: 'validate'; input: unknown; form: 'short' | 'long' }
  | { kind: 'adapter'; portal: Portal; payload: unknown }
  | { kind: 'bytes'; portal: Portal; bytes: number[] }
  | { kind: 'corpus'; c: HostileCase };

const NOW = new Date('2026-12-01T12:00:00Z');

const benifyShape = { orderId: 'FX-1', placedAt: '2026-11-20T10:31:00+01:00', employer: { orgNumber: '556016-0680', name: 'Org AB' }, employee: { firstName: 'Tessan', lastName: 'Testsson', personalIdentityNumber: '19111111-1116', email: 'a@b.se', mobilePhone: '0701234567', address: { street: 'Gatan 1', postalCode: '12345', city: 'Stad', countryCode: 'SE' } }, supplier: { venueId: 'odenplan' }, lines: [{ articleId: 'GYM-12M', startDate: '2027-01-01', priceInclVat: { amount: '100.00', currency: 'SEK' }, renew: false }] };
const wellnetShape = { id: 'FX-1', sequence: 1, createdAt: '2026-11-20T09:31:00Z', company: { orgNo: '5560160680', name: 'Org AB' }, person: { givenName: 'Tessan', familyName: 'Testsson', ssn: '191111111116', email: 'a@b.se', phone: { mobile: '0701234567', home: null, work: null }, street: 'Gatan 1', zip: '12345', city: 'Stad', country: 'SE' }, facilityCode: 'odenplan', rows: [{ productCode: 'GYM-12M', validFrom: '2027-01-01', priceOre: 10000, renew: false }], note: null };
const epassiShape = { purchaseId: 'FX-1', paidAt: '2026-11-19T23:30:00Z', status: 'PAID', employer: { businessId: '5560160680', name: 'Org AB' }, beneficiary: { firstName: 'Tessan', lastName: 'Testsson', nationalId: '191111111116', email: 'a@b.se', phoneNumber: '0701234567', address: { streetAddress: 'Gatan 1', postalCode: '12345', city: 'Stad', country: 'SE' } }, merchant: { siteId: 'odenplan' }, products: [{ sku: 'GYM-12M', startDate: '2027-01-01', unitPrice: '100.00', quantity: 2 }] };
const sopShape = { rows: [{ line: 2, fields: Object.fromEntries(SOP_HEADER.map((c) => [c, c === 'Belopp inkl moms' ? '100,00' : c === 'Startdatum' ? '2027-01-01' : c === 'Anläggning' ? 'odenplan' : 'x'])) }] };

const adapterCase: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ shape: fc.constantFrom<[Portal, unknown]>(['benify', benifyShape], ['wellnet', wellnetShape], ['epassi', epassiShape], ['sop', sopShape]), mutations: treeMutations }).map(({ shape, mutations }) => ({
    kind: 'adapter' as const, portal: shape[0], payload: mutateTree(shape[1], mutations),
  })),
  fc.record({ portal: fc.constantFrom(...PORTALS), payload: fc.oneof(hostileValue, fc.anything(), hostileString) }).map((c) => ({ kind: 'adapter' as const, ...c })),
);

const anyCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ c: canonicalCase, form: fc.constantFrom('short', 'long') as fc.Arbitrary<'short' | 'long'> }).map(({ c, form }) => ({ kind: 'validate' as const, input: canonicalInput(c, 'FX-1'), form })) },
  { weight: 1, arbitrary: fc.anything().map((input) => ({ kind: 'validate' as const, input, form: 'short' as const })) },
  { weight: 3, arbitrary: adapterCase },
  {
    weight: 2,
    arbitrary: fc.record({
      portal: fc.constantFrom(...PORTALS),
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => [...b]),
        fc.string({ unit: 'binary', maxLength: 200 }).map((s) => [...Buffer.from(s, 'utf8')]),
        fc.jsonValue({ maxDepth: 3 }).map((v) => [...Buffer.from(JSON.stringify(v) ?? '', 'utf8')]),
      ),
    }).map((c) => ({ kind: 'bytes' as const, ...c })),
  },
  { weight: 6, arbitrary: hostileCase().map((c) => ({ kind: 'corpus' as const, c })) },
);

function assertFieldErrors(errors: unknown, what: string): void {
  assert.ok(Array.isArray(errors) && errors.length > 0, `${what}: a rejection without problems`);
  for (const e of errors as FieldError[]) {
    assert.ok(e !== null && typeof e === 'object' && typeof e.path === 'string' && typeof e.message === 'string' && e.message !== '', `${what}: not a {path, message} problem: ${JSON.stringify(e)}`);
  }
}

function assertResult(r: { ok: boolean; errors?: unknown }, what: string): void {
  assert.equal(typeof r.ok, 'boolean', `${what}: not a result`);
  if (!r.ok) assertFieldErrors(r.errors, what);
}

test('no exception escapes validation, the adapters, payload reading, render or real intake, whatever the input', async (t) => {
  const rig = await startAllPortals({ auditLog: auditLogWanted() });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await rig.close();
  });
  const { config, documents } = rig.p.services;
  const tally = new CaseTally();

  await fc.assert(
    fc.asyncProperty(anyCase, async (k) => {
      tally.case();
      tally.add(k.kind);
      switch (k.kind) {
        case 'validate': {
          const r = validateOrder(k.input, { personnummerForm: k.form, now: NOW });
          assertResult(r, 'validateOrder');
          if (r.ok) tally.add('valid');
          break;
        }
        case 'adapter': {
          const r = toPortalOrder(k.portal, k.payload, NOW);
          assertResult(r, `${k.portal} adapter`);
          if (r.ok) tally.add('adapted');
          break;
        }
        case 'bytes':
        case 'corpus': {
          const portal = k.kind === 'bytes' ? k.portal : k.c.portal;
          const bytes = k.kind === 'bytes' ? Uint8Array.from(k.bytes) : buildPayload(k.c, freshOrderIds(k.c));
          const read = readPortalPayload(portal, bytes, NOW);
          assertResult(read, `reading a ${portal} payload`);
          if (read.ok) for (const o of read.orders) assertResult(o.adapted, `${portal} adapter`);
          const rendered = renderPortalPayload(config, documents, portal, bytes);
          for (const p of rendered.problems) assertFieldErrors(p.errors, `render of a ${portal} payload`);
          if (rendered.orders.length > 0) tally.add('rendered');
          // Real intake: an exception inside shows as a 5xx, a failed poll, or a throw from the file drop.
          const outcome = await ingestPayload(rig, portal, bytes);
          const [what, text] = outcome.outputs[0]!;
          if (portal === 'benify' || portal === 'actiway') assert.ok(!/^5\d\d /.test(text), `${portal} push answered ${text.slice(0, 300)}`);
          if (portal === 'wellnet' || portal === 'epassi') assert.ok(!/"outcome":"failed"/.test(text), `${what}: ${text.slice(0, 500)}`);
          if (portal === 'sop') assert.ok(!/"outcome":"failed"/.test(text), `${what}: ${text.slice(0, 500)}`);
          break;
        }
      }
      assert.deepEqual(unhandled, [], 'an unhandled promise rejection');
    }),
    fuzzParameters(),
  );
  t.diagnostic(tally.toString());
  tally.atLeast('valid', 0.03);
  tally.atLeast('rendered', 0.05);
});
