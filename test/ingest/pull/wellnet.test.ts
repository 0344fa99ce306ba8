import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Services } from '../../../src/daemon/services.js';
import type { Ledger } from '../../../src/ledger/ledger.js';
import { createPullIngest, portalStatus, resumePortal } from '../../../src/ingest/pull/pull-ingest.js';
import { WellnetClient } from '../../../src/portal-clients/wellnet-client.js';
import { WellnetPoller } from '../../../src/ingest/pull/wellnet-poller.js';
import { encodeWellnetCursor } from '../../../src/simulator/portals/index.js';
import { startStores, type Stores } from '../../../support/pipeline.js';
import { assertNoSecrets, drainNotifications, flush, logEvents, startHarness, waitAll, wellnetOrder, FAST_NOTIFY, type Harness } from './fixtures.js';

/**
 * Wellnet end to end: portal simulator → poller → PortalIntake → BullMQ → the real daemon → BRP
 * simulator → confirmed/rejected → notifier → delivery acknowledged. Real HTTP, real Redis.
 */

let stores: Stores;
let h: Harness | undefined;

before(async () => { stores = await startStores(); });
after(async () => { await stores.stop(); });
beforeEach(async () => { await flush(stores); });

async function harness(options: Parameters<typeof startHarness>[1] = {}): Promise<Harness> {
  h = await startHarness(stores, options);
  return h;
}

describe('wellnet', { concurrency: false }, () => {
  test('contract example: order → BRP → confirmed → delivery acknowledged with the BRP numbers', async (t) => {
    const { p, wellnet, pull, close } = await harness({ wellnet: { orders: [wellnetOrder('WN-55120', 10231)] } });
    t.after(close);

    const summary = await pull.pollOnce('wellnet');
    assert.deepEqual(summary, {
      portal: 'wellnet', outcome: 'ok', pages: 1, orders: 1, accepted: 1, duplicate: 0, unroutable: 0, rejected: 0, skipped: 0, cursorAdvanced: true,
    });
    assert.equal(await p.services.ledger.cursor('wellnet'), encodeWellnetCursor(10231));
    assert.equal(wellnet.pollLog()[0]?.after, undefined, 'the first poll has no after');
    assert.equal(wellnet.pollLog()[0]?.limit, 100);

    const rec = await p.waitForState('t1:wellnet:WN-55120', 'confirmed');
    const brp = p.sim.orders({ ordernr: 'WN-55120' });
    assert.equal(brp.length, 1);
    assert.equal(brp[0]!.origin, 'wellnet');
    assert.equal(brp[0]!.sum, 250000);
    assert.equal(brp[0]!.businessUnit, '1');

    await drainNotifications(p.services, pull);
    assert.deepEqual(wellnet.deliveries().map((d) => [d.id, d.body]), [[
      'WN-55120',
      { status: 'delivered', supplierOrderNumber: String(brp[0]!.brpOrderNumber), invoiceNumber: String(brp[0]!.invoiceNumber), ocr: brp[0]!.ocr },
    ]]);
    assert.equal(rec.brpOrderNumber, String(brp[0]!.brpOrderNumber));
    const after = await p.services.ledger.get('t1:wellnet:WN-55120');
    assert.match(after?.notifiedAt ?? '', /^\d{4}-/);
    assert.equal(wellnet.stats().deliveryRequests, 1);
    assert.equal(logEvents(p.lines, 'portal.notified').length, 1);

    // The next poll sends the stored cursor and finds nothing new.
    const again = await pull.pollOnce('wellnet');
    assert.equal(again.orders, 0);
    assert.equal(wellnet.pollLog()[1]?.after, encodeWellnetCursor(10231));
    assert.equal(p.sim.orders({ ordernr: 'WN-55120' }).length, 1);
    assertNoSecrets(p.lines);
  });

  test('pages: hasMore is followed in the same run, the cursor saved after each page', async (t) => {
    const orders = [1, 2, 3, 4, 5].map((n) => wellnetOrder(`WP-${n}`, 100 + n));
    const { p, wellnet, pull, close } = await harness({ wellnet: { orders }, portals: { wellnet: { pageSize: 2 } } });
    t.after(close);
    const s = await pull.pollOnce('wellnet');
    assert.equal(s.outcome, 'ok');
    assert.equal(s.pages, 3);
    assert.equal(s.accepted, 5);
    assert.deepEqual(wellnet.pollLog().map((l) => [l.after, l.limit]), [
      [undefined, 2], [encodeWellnetCursor(102), 2], [encodeWellnetCursor(104), 2],
    ]);
    assert.equal(await p.services.ledger.cursor('wellnet'), encodeWellnetCursor(105));
    await waitAll(p, orders.map((o) => `t1:wellnet:${String(o.id)}`), 'confirmed');
    // The portal's own page cap (pageSizeMax) also splits pages: more orders arrive.
    const more = [wellnetOrder('WP-6', 106), wellnetOrder('WP-7', 107)];
    wellnet.addOrders(...more);
    const s2 = await pull.pollOnce('wellnet');
    assert.deepEqual([s2.pages, s2.accepted, s2.duplicate], [1, 2, 0]);
    // Their outcomes must be recorded (outbox rows written) before the outbox can be drained of them.
    await waitAll(p, more.map((o) => `t1:wellnet:${String(o.id)}`), 'confirmed');
    await drainNotifications(p.services, pull);
    assert.equal(wellnet.deliveries().length, 7);
    for (const n of [1, 2, 3, 4, 5, 6, 7]) assert.equal(p.sim.orders({ ordernr: `WP-${n}` }).length, 1);
  });

  test('a failure before a page commits stores none of it: the cursor stays, the page is read again, each order reaches BRP once', async (t) => {
    const orders = [1, 2, 3].map((n) => wellnetOrder(`WC-${n}`, n));
    const { p, wellnet, pull, close } = await harness({ wellnet: { orders }, portals: { wellnet: { pageSize: 2 } } });
    t.after(close);

    // The first cursor save fails inside the page's transaction (as if the process died right
    // there, after its orders were written): the orders and the cursor are rolled back together.
    let armed = true;
    const real = p.services.ledger;
    const crashing = Object.create(real) as Ledger;
    crashing.transaction = (fn) => real.transaction((tx) => {
      const inner = Object.create(tx) as Ledger;
      inner.saveCursor = async (...args) => {
        if (armed) {
          armed = false;
          throw new Error('injected crash before the cursor save');
        }
        return tx.saveCursor(...args);
      };
      return fn(inner);
    });
    const crashy = createPullIngest({ ...p.services, ledger: crashing } as Services, { notifier: FAST_NOTIFY });
    t.after(() => crashy.stop());

    const first = await crashy.pollOnce('wellnet');
    assert.equal(first.outcome, 'failed');
    assert.equal(first.error, 'injected crash before the cursor save');
    assert.deepEqual([first.pages, first.accepted], [1, 0], 'nothing of the page counts: nothing of it was stored');
    assert.equal(await real.cursor('wellnet'), undefined, 'the cursor did not move');
    assert.equal(await real.get('t1:wellnet:WC-1'), undefined, 'the page\'s orders were rolled back with it');
    assert.equal(await real.keyForPortalOrder('wellnet', 'WC-2'), undefined);
    assert.equal(logEvents(p.lines, 'order.accepted').length, 0, 'no order is logged as accepted that was not stored');
    assert.equal(logEvents(p.lines, 'portal.poll_failed').length, 1);

    const second = await pull.pollOnce('wellnet');
    assert.deepEqual(
      [second.outcome, second.pages, second.orders, second.accepted, second.duplicate],
      ['ok', 2, 3, 3, 0],
      'page 1 is read again and stored this time',
    );
    assert.deepEqual(wellnet.pollLog().map((l) => l.after), [undefined, undefined, encodeWellnetCursor(2)]);
    assert.equal(await real.cursor('wellnet'), encodeWellnetCursor(3));

    const keys = orders.map((o) => `t1:wellnet:${String(o.id)}`);
    await waitAll(p, keys, 'confirmed');
    await drainNotifications(p.services, pull);
    for (const n of [1, 2, 3]) assert.equal(p.sim.orders({ ordernr: `WC-${n}` }).length, 1, `WC-${n} reached BRP once`);
    assert.equal(p.sim.stats().ordersCreated, 3);
    assert.deepEqual(wellnet.deliveries().map((d) => d.id).sort(), ['WC-1', 'WC-2', 'WC-3']);
    assert.equal(wellnet.stats().deliveryRequests, 3);
  });

  test('rejected at BRP (unknown product) → delivery "rejected" with the reason', async (t) => {
    const bad = wellnetOrder('WR-1', 1, { rows: [{ productCode: 'GYM-99', validFrom: '2026-12-01', priceOre: 1000, renew: false }] });
    const { p, wellnet, pull, close } = await harness({ wellnet: { orders: [bad] } });
    t.after(close);
    assert.equal((await pull.pollOnce('wellnet')).accepted, 1);
    const rec = await p.waitForState('t1:wellnet:WR-1', 'rejected');
    assert.deepEqual(rec.brpError?.errors.map((e) => e.code), [1030]);
    await drainNotifications(p.services, pull);
    assert.deepEqual(wellnet.deliveries().map((d) => [d.id, d.body]), [['WR-1', { status: 'rejected', reason: 'Unknown product (BRP error 1030)' }]]);
    assert.equal(p.sim.orders({ ordernr: 'WR-1' }).length, 0);
  });

  test('invalid orders are recorded and the portal told; unreadable venue → unroutable; no id → skipped', async (t) => {
    const invalidPnr = wellnetOrder('WI-1', 1, { person: { ...(wellnetOrder('x', 0).person as object), ssn: '191111111117' } });
    const badPrice = wellnetOrder('WI-2', 2, { rows: [{ productCode: 'GYM-12M', validFrom: '2026-12-01', priceOre: '2500', renew: false }] });
    const badPriceUnknownVenue = wellnetOrder('WI-3', 3, { facilityCode: 'nowhere', rows: [{ productCode: 'GYM-12M', validFrom: 'soon', priceOre: 1, renew: false }] });
    const noId = wellnetOrder('', 4, { id: null });
    const good = wellnetOrder('WI-5', 5);
    const { p, wellnet, pull, close } = await harness({ wellnet: { orders: [invalidPnr, badPrice, badPriceUnknownVenue, noId, good] } });
    t.after(close);
    const s = await pull.pollOnce('wellnet');
    assert.deepEqual([s.outcome, s.orders, s.accepted, s.rejected, s.unroutable, s.skipped], ['ok', 5, 1, 2, 1, 1]);
    assert.equal(await p.services.ledger.cursor('wellnet'), encodeWellnetCursor(5), 'the unidentifiable order does not block the cursor');

    const r1 = await p.services.ledger.get('t1:wellnet:WI-1');
    assert.equal(r1?.state, 'rejected');
    assert.equal(r1?.rejectedBy, 'partnerd');
    const r2 = await p.services.ledger.get('t1:wellnet:WI-2');
    assert.equal(r2?.state, 'rejected');
    assert.deepEqual(r2?.brpError?.errors.map((e) => e.message), ['rows[0].priceOre: must be an integer']);
    const r3 = await p.services.ledger.get('~:wellnet:WI-3');
    assert.equal(r3?.state, 'unroutable');
    assert.equal(r3?.unroutableReason, 'unknown venue at facilityCode (not in portals.wellnet.venues); the order is also invalid: rows[0].validFrom: must be a real date written YYYY-MM-DD');
    assert.equal(logEvents(p.lines, 'portal.order_unidentifiable').length, 1);

    await p.waitForState('t1:wellnet:WI-5', 'confirmed');
    await drainNotifications(p.services, pull);
    const byId = Object.fromEntries(wellnet.deliveries().map((d) => [d.id, d.body]));
    assert.deepEqual(Object.keys(byId).sort(), ['WI-1', 'WI-2', 'WI-5']);
    assert.equal(byId['WI-2']?.status, 'rejected');
    assert.equal((byId['WI-2'] as { reason: string }).reason, 'Invalid order: rows[0].priceOre: must be an integer');
    assert.equal((byId['WI-1'] as { reason: string }).reason, 'Invalid order: person.ssn: personnummer check digit does not match');
    assert.equal(p.sim.stats().ordersCreated, 1);

    // Polling again from the start (cursor lost) finds every one of them known.
    await p.services.ledger.clearCursor('wellnet');
    const again = await pull.pollOnce('wellnet');
    assert.deepEqual([again.duplicate, again.skipped, again.accepted], [4, 1, 0]);
    assertNoSecrets(p.lines);
  });

  test('401 → polling stops with one alert; resume-portal lets it continue', async (t) => {
    const { p, wellnet, pull, close } = await harness({ wellnet: { orders: [wellnetOrder('WA-1', 1)] } });
    t.after(close);
    wellnet.setToken('rotated-by-wellnet');
    const s1 = await pull.pollOnce('wellnet');
    assert.equal(s1.outcome, 'stopped');
    assert.equal(s1.httpStatus, 401);
    for (let i = 0; i < 3; i++) assert.equal((await pull.pollOnce('wellnet')).outcome, 'stopped');
    assert.equal(wellnet.polls(), 1, 'no request while stopped');
    const alerts = logEvents(p.lines, 'portal.stopped');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.alert, true);
    assert.equal(alerts[0]!.level, 'error');
    assert.equal(alerts[0]!.portal, 'wellnet');
    const status = await portalStatus(p.services, 'wellnet');
    assert.equal(status.stopped?.status, 401);

    wellnet.setToken('wn-token-5d1e0c7b9a');
    assert.deepEqual(await resumePortal(p.services, 'wellnet'), { wasStopped: true, notifyWasStopped: false });
    assert.deepEqual(await resumePortal(p.services, 'wellnet'), { wasStopped: false, notifyWasStopped: false });
    const s2 = await pull.pollOnce('wellnet');
    assert.deepEqual([s2.outcome, s2.accepted], ['ok', 1]);
    assert.equal(logEvents(p.lines, 'portal.stopped').length, 1);
    await p.waitForState('t1:wellnet:WA-1', 'confirmed');
    assertNoSecrets(p.lines);
  });

  test('429 / 5xx / network errors end the run and back off (scheduled runs skip; Retry-After honoured; success clears)', async (t) => {
    const { p, wellnet, close } = await harness({ wellnet: { orders: [wellnetOrder('WB-1', 1)] } });
    t.after(close);
    let clock = 1_000_000;
    const client = new WellnetClient(p.services.config.portals.wellnet!);
    t.after(() => client.close());
    const poller = new WellnetPoller(p.services, client, 100, { backoff: { baseDelayMs: 1_000, maxDelayMs: 4_000 }, now: () => clock });
    const run = () => poller.run({ respectBackoff: true });
    wellnet.failNext(2, '503', 'poll');
    wellnet.failNext(1, '429', 'poll'); // Retry-After: 1 s (the simulator's default)
    wellnet.failNext(1, '500', 'poll');

    const r1 = await run();
    assert.deepEqual([r1.outcome, r1.httpStatus, r1.retryAt], ['backoff', 503, new Date(1_000_000).toISOString()], 'first failure: the next tick tries again');
    clock += 1_000;
    const r2 = await run();
    assert.deepEqual([r2.outcome, r2.retryAt], ['backoff', new Date(1_001_000 + 1_000).toISOString()]);
    clock += 500;
    assert.equal((await run()).outcome, 'skipped');
    clock += 500;
    const r3 = await run();
    assert.deepEqual([r3.outcome, r3.httpStatus, r3.retryAt], ['backoff', 429, new Date(1_002_000 + 2_000).toISOString()]);
    clock += 1_999;
    assert.equal((await run()).outcome, 'skipped');
    clock += 1;
    const r4 = await run();
    assert.deepEqual([r4.outcome, r4.httpStatus, r4.retryAt], ['backoff', 500, new Date(1_004_000 + 4_000).toISOString()], 'capped at maxDelayMs');
    clock += 4_000;
    assert.deepEqual(await p.services.redis.hgetall('pdtest:portal:wellnet:backoff'), { failures: '4', until: String(1_008_000) });
    const ok = await run();
    assert.deepEqual([ok.outcome, ok.accepted], ['ok', 1]);
    assert.deepEqual(await p.services.redis.hgetall('pdtest:portal:wellnet:backoff'), {}, 'success clears the back-off');
    assert.deepEqual(wellnet.pollLog().map((l) => l.status), [503, 503, 429, 500, 200]);

    // Unreachable (connection closed) is a back-off too, not a stop.
    wellnet.setDown(true);
    const down = await run();
    assert.equal(down.outcome, 'backoff');
    assert.equal(down.httpStatus, undefined);
    wellnet.setDown(false);
    clock += 1;
    assert.equal((await run()).outcome, 'ok');

    const backoffs = logEvents(p.lines, 'portal.backoff');
    assert.deepEqual(backoffs.map((l) => [l.kind, l.httpStatus ?? null]), [
      ['unavailable', 503], ['unavailable', 503], ['throttled', 429], ['unavailable', 500], ['network', null],
    ]);
    assert.equal(logEvents(p.lines, 'portal.stopped').length, 0);
    // A manual poll (partnerd poll wellnet) ignores the pause; a scheduled run inside it makes no request.
    await p.services.redis.hset('pdtest:portal:wellnet:backoff', 'failures', '3', 'until', String(Date.now() + 60_000));
    const realClock = new WellnetPoller(p.services, client, 100, { backoff: { baseDelayMs: 1_000, maxDelayMs: 4_000 } });
    const before = wellnet.polls();
    assert.equal((await realClock.run({ respectBackoff: true })).outcome, 'skipped');
    assert.equal(wellnet.polls(), before);
    assert.equal((await h!.pull.pollOnce('wellnet')).outcome, 'ok');
    assert.equal(wellnet.polls(), before + 1);
    assert.deepEqual(await p.services.redis.hgetall('pdtest:portal:wellnet:backoff'), {});
    assertNoSecrets(p.lines);
  });
});
