import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EpassiClient } from '../../../src/portal-clients/epassi-client.js';
import { EpassiPoller } from '../../../src/ingest/pull/epassi-poller.js';
import { resumePortal } from '../../../src/ingest/pull/pull-ingest.js';
import { startEpassiSimulator } from '../../../src/simulator/portals/index.js';
import { startStores, type Stores } from '../../../support/pipeline.js';
import { EPASSI_CLIENT_ID, EPASSI_SECRET, assertNoSecrets, drainNotifications, epassiPurchase, flush, logEvents, startHarness, waitAll, type Harness } from './fixtures.js';

/**
 * Epassi end to end: OAuth2 client credentials, pages of PAID purchases, de-duplication of
 * purchases listed in every poll, marking DELIVERED / REJECTED, token expiry, 401, back-off.
 */

let stores: Stores;

before(async () => { stores = await startStores(); });
after(async () => { await stores.stop(); });
beforeEach(async () => { await flush(stores); });

const harness = (options: Parameters<typeof startHarness>[1] = {}): Promise<Harness> => startHarness(stores, options);

describe('epassi', { concurrency: false }, () => {
  test('contract example: null startDate → start day is the Stockholm date of paidAt; DELIVERED with the BRP numbers', async (t) => {
    // BRP answers slowly, so the queued record (with its canonical payload) can be read before confirmation drops it.
    const { p, epassi, pull, close } = await harness({ epassi: { purchases: [epassiPurchase('EP-9f3a2c')] }, brpFaults: { latencyMs: 600 } });
    t.after(close);
    const s = await pull.pollOnce('epassi');
    assert.deepEqual(s, { portal: 'epassi', outcome: 'ok', pages: 1, orders: 1, accepted: 1, duplicate: 0, unroutable: 0, rejected: 0, skipped: 0 });
    const queued = await p.services.ledger.get('t1:epassi:EP-9f3a2c');
    assert.deepEqual(queued?.payload?.items, [{ productNumber: '1001', startDay: '2026-11-20', priceIncVatOre: 250000 }]);
    assert.equal(queued?.payload?.organization.number, '556123-4567');

    await p.waitForState('t1:epassi:EP-9f3a2c', 'confirmed');
    const [brp] = p.sim.orders({ ordernr: 'EP-9f3a2c' });
    assert.equal(brp?.sum, 250000);
    assert.equal(brp?.origin, 'epassi');
    await drainNotifications(p.services, pull);
    assert.deepEqual(epassi.marks().map((m) => [m.purchaseId, m.body]), [[
      'EP-9f3a2c',
      { status: 'DELIVERED', merchantReference: String(brp!.brpOrderNumber), invoiceNumber: String(brp!.invoiceNumber), ocr: brp!.ocr },
    ]]);
    assert.equal(epassi.statusOf('EP-9f3a2c'), 'DELIVERED');
    assert.equal(epassi.tokenRequests(), 1, 'the cached token served the poll and the PATCH');
    assertNoSecrets(p.lines);
  });

  test('pages up to totalPages; purchases repeated in every poll are submitted once; marked ones disappear', async (t) => {
    const ids = ['E-1', 'E-2', 'E-3', 'E-4', 'E-5'];
    const { p, epassi, pull, close } = await harness({
      epassi: { purchases: ids.map((id) => epassiPurchase(id, { products: [{ sku: 'GYM-12M', startDate: '2026-12-01', unitPrice: '0.29', quantity: 2 }] })) },
      portals: { epassi: { pageSize: 2 } },
    });
    t.after(close);
    const s1 = await pull.pollOnce('epassi');
    assert.deepEqual([s1.outcome, s1.pages, s1.accepted, s1.duplicate], ['ok', 3, 5, 0]);
    assert.deepEqual(epassi.pollLog().map((l) => [l.page, l.pageSize]), [[1, 2], [2, 2], [3, 2]]);
    const keys = ids.map((id) => `t1:epassi:${id}`);
    await waitAll(p, keys, 'confirmed');

    // Not marked yet: Epassi lists all of them again, in every poll.
    for (let i = 0; i < 3; i++) {
      const again = await pull.pollOnce('epassi');
      assert.deepEqual([again.pages, again.orders, again.accepted, again.duplicate], [3, 5, 0, 5]);
    }
    for (const id of ids) {
      const orders = p.sim.orders({ ordernr: id });
      assert.equal(orders.length, 1, `${id} reached BRP once`);
      assert.equal(orders[0]!.sum, 58, 'quantity 2 × 0.29 SEK = 2 items of 29 öre');
    }
    await drainNotifications(p.services, pull);
    assert.deepEqual(epassi.marks().map((m) => m.purchaseId).sort(), ids);
    const after = await pull.pollOnce('epassi');
    assert.deepEqual([after.pages, after.orders], [1, 0], 'totalPages 0: one request, nothing listed');
    assert.equal(p.sim.stats().ordersCreated, 5);
    assert.equal(epassi.tokenRequests(), 1);
  });

  test('rejected at BRP → REJECTED with the reason', async (t) => {
    const { p, epassi, pull, close } = await harness({
      epassi: { purchases: [epassiPurchase('ER-1', { products: [{ sku: 'GYM-99', startDate: null, unitPrice: '10.00', quantity: 1 }] })] },
    });
    t.after(close);
    await pull.pollOnce('epassi');
    await p.waitForState('t1:epassi:ER-1', 'rejected');
    await drainNotifications(p.services, pull);
    assert.deepEqual(epassi.marks().map((m) => [m.purchaseId, m.body]), [['ER-1', { status: 'REJECTED', reason: 'Unknown product (BRP error 1030)' }]]);
    const next = await pull.pollOnce('epassi');
    assert.equal(next.orders, 0);
  });

  test('token expiry → a new token and one retry of the call; the new token is cached', async (t) => {
    const { p, epassi, pull, close } = await harness({ epassi: { purchases: [epassiPurchase('ET-1')] } });
    t.after(close);
    assert.equal((await pull.pollOnce('epassi')).accepted, 1);
    assert.deepEqual([epassi.tokenRequests(), epassi.polls()], [1, 1]);
    epassi.expireTokens();
    const s = await pull.pollOnce('epassi');
    assert.deepEqual([s.outcome, s.duplicate], ['ok', 1]);
    assert.deepEqual(epassi.pollLog().map((l) => l.status), [200, 401, 200], 'one 401, then the retried call');
    assert.equal(epassi.tokenRequests(), 2);
    await p.waitForState('t1:epassi:ET-1', 'confirmed');
    epassi.expireTokens();
    await drainNotifications(p.services, pull);
    assert.equal(epassi.stats().markRequests, 2, 'the PATCH got 401 once and was retried once');
    assert.equal(epassi.tokenRequests(), 3);
    assert.equal(epassi.statusOf('ET-1'), 'DELIVERED');
    assert.equal(logEvents(p.lines, 'portal.stopped').length, 0);
    assertNoSecrets(p.lines);
  });

  test('token cache: reused until 60 s before expiry, then renewed (fake clock)', async (t) => {
    const sim = await startEpassiSimulator({ clientId: EPASSI_CLIENT_ID, clientSecret: EPASSI_SECRET, tokenTtlSeconds: 3600 });
    t.after(() => sim.close());
    let now = 0;
    const client = new EpassiClient({ baseUrl: sim.baseUrl, clientId: EPASSI_CLIENT_ID, clientSecret: EPASSI_SECRET, scope: 'purchases', timeoutMs: 2_000 }, { now: () => now });
    t.after(() => client.close());
    const a = await client.token();
    now = 3_539_999;
    assert.equal(await client.token(), a);
    assert.equal(sim.tokenRequests(), 1);
    now = 3_540_000;
    const b = await client.token();
    assert.notEqual(b, a);
    assert.equal(sim.tokenRequests(), 2);
    // Concurrent callers share one token request.
    now = 10_000_000;
    const [c, d] = await Promise.all([client.token(), client.token()]);
    assert.equal(c, d);
    assert.equal(sim.tokenRequests(), 3);
  });

  test('401 after the retry → polling stops with one alert; wrong client at the token endpoint too; resume works', async (t) => {
    const { p, epassi, pull, close } = await harness({ epassi: { purchases: [epassiPurchase('EA-1')] } });
    t.after(close);
    epassi.failNext(2, '401', 'poll');
    const s = await pull.pollOnce('epassi');
    assert.deepEqual([s.outcome, s.httpStatus, s.error], ['stopped', 401, 'epassi poll: HTTP 401 with a new token']);
    assert.deepEqual([epassi.polls(), epassi.tokenRequests()], [2, 2], 'one new token, one retry, no more');
    assert.equal((await pull.pollOnce('epassi')).outcome, 'stopped');
    assert.deepEqual([epassi.polls(), epassi.tokenRequests()], [2, 2], 'no request while stopped');
    assert.equal(logEvents(p.lines, 'portal.stopped').length, 1);

    assert.deepEqual(await resumePortal(p.services, 'epassi'), { wasStopped: true, notifyWasStopped: false });
    // Epassi now refuses our client: the token endpoint's 401 stops polling as well.
    epassi.setCredentials(EPASSI_CLIENT_ID, 'rotated');
    epassi.expireTokens();
    const s2 = await pull.pollOnce('epassi');
    assert.deepEqual([s2.outcome, s2.httpStatus, s2.error], ['stopped', 401, 'epassi token: HTTP 401']);
    const alerts = logEvents(p.lines, 'portal.stopped');
    assert.equal(alerts.length, 2, 'one alert per stop');
    assert.equal(alerts[1]!.reason, 'epassi token: HTTP 401');

    epassi.setCredentials(EPASSI_CLIENT_ID, EPASSI_SECRET);
    await resumePortal(p.services, 'epassi');
    const s3 = await pull.pollOnce('epassi');
    assert.deepEqual([s3.outcome, s3.accepted], ['ok', 1]);
    await p.waitForState('t1:epassi:EA-1', 'confirmed');
    assertNoSecrets(p.lines);
  });

  test('429 / 5xx at the API or the token endpoint → back-off, not a stop', async (t) => {
    const { p, epassi, close } = await harness({ epassi: { purchases: [epassiPurchase('EB-1')] } });
    t.after(close);
    let clock = 5_000_000;
    const client = new EpassiClient(p.services.config.portals.epassi!);
    t.after(() => client.close());
    const poller = new EpassiPoller(p.services, client, 50, { backoff: { baseDelayMs: 10_000, maxDelayMs: 60_000 }, now: () => clock });
    epassi.failNext(1, '503', 'token');
    const r1 = await poller.run({ respectBackoff: true });
    assert.deepEqual([r1.outcome, r1.httpStatus], ['backoff', 503]);
    clock += 1;
    epassi.failNext(1, '429', 'poll');
    const r2 = await poller.run({ respectBackoff: true });
    assert.deepEqual([r2.outcome, r2.httpStatus, r2.retryAt], ['backoff', 429, new Date(5_000_001 + 10_000).toISOString()]);
    clock += 9_999;
    assert.equal((await poller.run({ respectBackoff: true })).outcome, 'skipped');
    clock += 1;
    epassi.failNext(1, '500', 'poll');
    const r3 = await poller.run({ respectBackoff: true });
    assert.deepEqual([r3.outcome, r3.httpStatus, r3.retryAt], ['backoff', 500, new Date(5_010_001 + 20_000).toISOString()]);
    clock += 20_000;
    const ok = await poller.run({ respectBackoff: true });
    assert.deepEqual([ok.outcome, ok.accepted], ['ok', 1]);
    assert.deepEqual(logEvents(p.lines, 'portal.backoff').map((l) => l.httpStatus), [503, 429, 500]);
    assert.equal(logEvents(p.lines, 'portal.stopped').length, 0);
    assert.deepEqual(epassi.pollLog().map((l) => l.status), [429, 500, 200]);
  });
});
