import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PortalOrder } from '../../src/portals/portal-order.js';
import { routePortalOrder } from '../../src/ingest/router.js';
import { portalErrors, PortalIntake } from '../../src/ingest/portal-intake.js';
import { resetStores, startPipeline, startStores, testConfig, type Pipeline, type Stores } from '../../support/pipeline.js';

const PORTALS = {
  wellnet: {
    baseUrl: 'http://127.0.0.1:9/', token: 'wellnet-token',
    venues: { odenplan: { tenant: 't1', businessUnit: 1 }, 'gbg-city': { tenant: 't1', businessUnit: '2' } },
    articles: { TOWEL: '2001' },
  },
};
const TENANT = { articles: { 'GYM-12M': '1001', TOWEL: '9999', 'CLIP-10': '1002' } };

function portalOrder(ordernr: string, over: Partial<PortalOrder> = {}): PortalOrder {
  return {
    portal: 'wellnet',
    ordernr,
    venueRef: 'odenplan',
    organization: { number: '5560160680', name: 'Test Org AB' },
    person: { firstName: 'Tessan', lastName: 'Testsson', personnummer: '191111111116', phones: { mobile: '+46731234567' } },
    lines: [
      { articleCode: 'GYM-12M', startDay: '2026-12-01', priceIncVatOre: 250000, quantity: 1 },
      { articleCode: 'CLIP-10', startDay: '2026-12-01', priceIncVatOre: 95050, quantity: 2, renew: false },
      { articleCode: 'TOWEL', startDay: '2026-12-01', priceIncVatOre: 1000, quantity: 1 },
    ],
    fieldPaths: {
      'person.personnummer': 'person.ssn',
      'person.phones.mobile': 'person.phone.mobile',
      'organization.number': 'company.orgNo',
      'lines[0].startDay': 'rows[0].validFrom',
      'lines[1].startDay': 'rows[1].validFrom',
      'lines[2].startDay': 'rows[2].validFrom',
      venueRef: 'facilityCode',
      'lines[0].articleCode': 'rows[0].productCode',
      'lines[1].articleCode': 'rows[1].productCode',
    },
    ...over,
  };
}

describe('routing', () => {
  const config = testConfig({ redis: 'redis://127.0.0.1:1' }, 'http://127.0.0.1:9/t1/', TENANT, { portals: PORTALS });

  test('venue → tenant and business unit; articles via the portal override, then the tenant map; quantity expands', () => {
    const r = routePortalOrder(portalOrder('W-1'), config);
    assert.ok(r.ok);
    assert.equal(r.tenant, 't1');
    assert.equal(r.input.businessUnit, '1');
    assert.deepEqual((r.input.items as Array<{ productNumber: string }>).map((i) => i.productNumber), ['1001', '1002', '1002', '2001']);
    assert.deepEqual(r.itemLine, [0, 1, 1, 2]);
    assert.deepEqual((r.input.items as unknown[])[1], { productNumber: '1002', startDay: '2026-12-01', priceIncVatOre: 95050, renew: false });
  });

  test('unknown venue, unknown articles and unconfigured portals are reasons, not errors; a reason says where, never what', () => {
    assert.deepEqual(routePortalOrder(portalOrder('W-2', { venueRef: 'nowhere' }), config), { ok: false, reason: 'unknown venue at facilityCode (not in portals.wellnet.venues)', at: ['facilityCode'] });
    const lines = [{ articleCode: 'X-1', startDay: '2026-12-01', priceIncVatOre: 1, quantity: 1 }, { articleCode: 'X-2', startDay: '2026-12-01', priceIncVatOre: 1, quantity: 1 }];
    assert.deepEqual(routePortalOrder(portalOrder('W-3', { lines }), config), {
      ok: false, reason: 'unknown articles at rows[0].productCode, rows[1].productCode (not in the articles of tenant t1 or portals.wellnet.articles)',
      at: ['rows[0].productCode', 'rows[1].productCode'],
    });
    assert.deepEqual(routePortalOrder(portalOrder('W-4', { portal: 'benify' }), config), { ok: false, reason: 'portal benify is not configured', at: [] });
    // In a file whose cells have shifted, the "venue" may be a phone number: it is never quoted.
    const shifted = routePortalOrder(portalOrder('W-6', { venueRef: '+46 70-123 45 67' }), config);
    assert.ok(!shifted.ok && !shifted.reason.includes('123 45'));
  });

  test('validation errors are told in the portal’s own paths, items back to their lines, once', () => {
    const errors = portalErrors(
      [
        { path: 'person.personnummer', message: 'invalid check digit' },
        { path: 'items[1].startDay', message: 'not a date' },
        { path: 'items[2].startDay', message: 'not a date' }, // the same line, quantity 2
        { path: 'person.phones.home', message: 'bad' },
        { path: 'organization.name', message: 'required' },
      ],
      portalOrder('W-5'),
      [0, 1, 1, 2],
    );
    assert.deepEqual(errors, [
      { path: 'person.ssn', message: 'invalid check digit' },
      { path: 'rows[1].validFrom', message: 'not a date' },
      { path: 'person.phones.home', message: 'bad' },
      { path: 'organization.name', message: 'required' },
    ]);
  });

  test('a venue leading to an unknown tenant is a config error naming the key', () => {
    assert.throws(() => testConfig({ redis: 'redis://127.0.0.1:1' }, 'http://x/', {}, { portals: { wellnet: { ...PORTALS.wellnet, venues: { v: { tenant: 'nope', businessUnit: 1 } } } } }),
      /portals\.wellnet\.venues\.v\.tenant: no tenant named nope/);
  });
});

describe('portal intake against the daemon', { concurrency: false }, () => {
  let stores: Stores;
  let p: Pipeline;
  let intake: PortalIntake;
  before(async () => { stores = await startStores(); });
  after(async () => { await stores.stop(); });
  beforeEach(async () => { await resetStores(stores); });

  async function start(portals: Record<string, unknown> = PORTALS) {
    p = await startPipeline({ stores, tenant: TENANT, extra: { portals } });
    intake = p.services.portalIntake;
    return p;
  }

  test('accepted → confirmed with four BRP items; a redelivery is a duplicate; one BRP order', async (t) => {
    await start();
    t.after(() => p.close());
    const r = await intake.ingest(portalOrder('W-10'));
    assert.deepEqual(r, { status: 'accepted', key: 't1:wellnet:W-10' });
    const rec = await p.waitForState('t1:wellnet:W-10', 'confirmed');
    assert.equal(rec.sumOre, 250000 + 2 * 95050 + 1000);
    assert.deepEqual(await intake.ingest(portalOrder('W-10')), { status: 'duplicate', key: 't1:wellnet:W-10', state: 'confirmed' });
    assert.equal(p.sim.orders({ ordernr: 'W-10' }).length, 1);
  });

  test('invalid: not stored for push portals; stored as rejected (and queued for the portal) for pull portals', async (t) => {
    await start();
    t.after(() => p.close());
    const bad = portalOrder('W-11', { person: { firstName: 'A', lastName: 'B', personnummer: '191111111117' } });
    const pushed = await intake.ingest(bad);
    assert.deepEqual(pushed, { status: 'invalid', errors: [{ path: 'person.ssn', message: (pushed as { errors: Array<{ message: string }> }).errors[0]!.message }] });
    assert.equal(await p.services.ledger.keyForPortalOrder('wellnet', 'W-11'), undefined);
    const pulled = await intake.ingest(bad, { recordInvalid: true });
    assert.equal(pulled.status, 'rejected');
    const rec = await p.services.ledger.get('t1:wellnet:W-11');
    assert.equal(rec?.state, 'rejected');
    assert.equal(rec?.rejectedBy, 'partnerd');
    assert.match(rec?.brpError?.errors[0]?.message ?? '', /^person\.ssn: /);
    assert.equal(await p.services.ledger.pendingNotifications(), 1, 'Wellnet will be told');
    assert.equal((await intake.ingest(bad, { recordInvalid: true })).status, 'duplicate');
    assert.equal(p.sim.stats().requests, 0);
  });

  test('unroutable: kept with its reason, a duplicate while kept, re-routed after the config is fixed and confirmed once', async (t) => {
    await start({ wellnet: { ...PORTALS.wellnet, venues: {} } });
    const r = await intake.ingest(portalOrder('W-12'));
    assert.deepEqual(r, { status: 'unroutable', key: '~:wellnet:W-12', reason: 'unknown venue at facilityCode (not in portals.wellnet.venues)' });
    const kept = await p.services.ledger.get('~:wellnet:W-12');
    assert.equal(kept?.state, 'unroutable');
    assert.equal(kept?.unroutableReason, 'unknown venue at facilityCode (not in portals.wellnet.venues)');
    assert.deepEqual(await intake.ingest(portalOrder('W-12')), { status: 'duplicate', key: '~:wellnet:W-12', state: 'unroutable' });
    await p.close();

    // The operator fixes the config and restarts; the kept order is routed again.
    await start();
    t.after(() => p.close());
    const again = await intake.reroute('~:wellnet:W-12');
    assert.deepEqual(again, { status: 'accepted', key: 't1:wellnet:W-12' });
    await p.waitForState('t1:wellnet:W-12', 'confirmed');
    const old = await p.services.ledger.get('~:wellnet:W-12');
    assert.equal(old?.state, 'rerouted');
    assert.equal(old?.routedTo, 't1:wellnet:W-12');
    assert.equal(old?.portalOrder, undefined, 'personal data not kept twice');
    assert.deepEqual(await intake.ingest(portalOrder('W-12')), { status: 'duplicate', key: 't1:wellnet:W-12', state: 'confirmed' });
    await assert.rejects(intake.reroute('~:wellnet:W-12'), /rerouted, not unroutable/);
    assert.equal(p.sim.orders({ ordernr: 'W-12' }).length, 1);
  });

  test('the same portal order id cannot become two records even if routing changes', async (t) => {
    await start();
    t.after(() => p.close());
    await p.services.queues.get('t1').pause(); // kept queued: its payload is read below
    await intake.ingest(portalOrder('W-13'));
    const moved = await intake.ingest(portalOrder('W-13', { venueRef: 'gbg-city' }));
    assert.deepEqual(moved, { status: 'duplicate', key: 't1:wellnet:W-13', state: (moved as { state: string }).state });
    const viaCli = await p.services.intake.submit({ ...(await p.services.ledger.get('t1:wellnet:W-13'))!.payload!, businessUnit: '2' });
    assert.equal(viaCli.status, 'duplicate');
  });
});
