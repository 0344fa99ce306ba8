import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectionReason } from '../../src/portal-clients/portal-notifier.js';
import { lastPollSuccess, portalStatus, resumePortal } from '../../src/portal-clients/portal-state.js';
import { startStores, type Stores } from '../../support/pipeline.js';
import { assertNoSecrets, drainNotifications, FAST_NOTIFY, epassiPurchase, eventually, flush, logEvents, sleep, startHarness, waitAll, wellnetOrder } from '../ingest/pull/fixtures.js';

/**
 * Acknowledgements survive the portal being down: outcomes arrive while the portal refuses
 * connections or answers 503; every one is kept (never dropped) and retried with back-off, and
 * once the portal is back each arrives exactly once; 409 ("already") counts as done.
 */

let stores: Stores;

before(async () => { stores = await startStores(); });
after(async () => { await stores.stop(); });
beforeEach(async () => { await flush(stores); });

describe('portal notifier', { concurrency: false }, () => {
  test('Wellnet down, then 503, then a lost answer (409 on retry): every delivery arrives exactly as expected', async (t) => {
    const ids = ['WD-1', 'WD-2', 'WD-3'];
    const { p, wellnet, pull, close } = await startHarness(stores, {
      wellnet: { orders: ids.map((id, i) => wellnetOrder(id, i + 1)) },
      pull: { notifier: { leaseMs: 5_000, retry: { baseDelayMs: 300, maxDelayMs: 600, jitter: 0 } } },
    });
    t.after(close);
    assert.equal((await pull.pollOnce('wellnet')).accepted, 3);
    wellnet.setDown(true);
    const keys = ids.map((id) => `t1:wellnet:${id}`);
    await waitAll(p, keys, 'confirmed');
    assert.equal(await p.services.ledger.pendingNotifications(), 3);

    // Down: nothing can be sent; everything stays queued.
    const down = await pull.notifier.runOnce();
    assert.deepEqual(down, { claimed: 3, done: 0, failed: 3, skipped: 0 });
    assert.equal(await p.services.ledger.pendingNotifications(), 3);
    for (const k of keys) {
      const rec = await p.services.ledger.get(k);
      assert.equal(rec?.notifyAttempts, 1);
      assert.match(rec?.notifyLastError ?? '', /^wellnet delivery: no answer \(/);
      assert.equal(rec?.notifiedAt, undefined);
    }
    // Not due before the back-off has passed.
    assert.deepEqual(await pull.notifier.runOnce(), { claimed: 0, done: 0, failed: 0, skipped: 0 });

    // Back, but answering 503.
    wellnet.setDown(false);
    wellnet.failNext(3, '503', 'ack');
    await sleep(350);
    assert.deepEqual(await pull.notifier.runOnce(), { claimed: 3, done: 0, failed: 3, skipped: 0 });
    assert.equal(wellnet.deliveries().length, 0);

    // The first delivery is recorded by Wellnet but its answer is lost: the retry gets 409 = done.
    wellnet.failNext(1, 'reset-after-commit', 'ack');
    await drainNotifications(p.services, pull);
    assert.equal(await p.services.ledger.pendingNotifications(), 0);

    const expected = ids.map((id) => {
      const [brp] = p.sim.orders({ ordernr: id });
      return [id, { status: 'delivered', supplierOrderNumber: String(brp!.brpOrderNumber), invoiceNumber: String(brp!.invoiceNumber), ocr: brp!.ocr }];
    });
    assert.deepEqual(wellnet.deliveries().map((d) => [d.id, d.body]).sort(), expected.sort());
    assert.equal(wellnet.stats().conflicts, 1);
    // 3 × 503 + 3 (one of them lost) + 1 retry answered 409 (the refused connections never reached a handler).
    assert.equal(wellnet.stats().deliveryRequests, 7);
    const attempts = await Promise.all(keys.map(async (k) => (await p.services.ledger.get(k))?.notifyAttempts));
    assert.deepEqual(attempts.sort(), [2, 2, 3]);
    for (const k of keys) assert.match((await p.services.ledger.get(k))?.notifiedAt ?? '', /^\d{4}-/);
    assert.equal(logEvents(p.lines, 'portal.notified').length, 3);
    assert.equal(logEvents(p.lines, 'portal.notify_failed').length, 7);
    for (const id of ids) assert.equal(p.sim.orders({ ordernr: id }).length, 1);
    assertNoSecrets(p.lines);
  });

  test('Epassi unreachable while outcomes arrive (confirmed and rejected); the running notifier delivers both once it is back', async (t) => {
    const { p, epassi, pull, close } = await startHarness(stores, {
      epassi: {
        purchases: [
          epassiPurchase('ED-1'),
          epassiPurchase('ED-2', { products: [{ sku: 'GYM-99', startDate: '2026-12-01', unitPrice: '10.00', quantity: 1 }] }),
        ],
      },
    });
    t.after(close);
    assert.equal((await pull.pollOnce('epassi')).accepted, 2);
    epassi.setDown(true);
    pull.notifier.start(50);
    await p.waitForState('t1:epassi:ED-1', 'confirmed');
    await p.waitForState('t1:epassi:ED-2', 'rejected');
    await eventually('failed attempts', async () => ((await p.services.ledger.get('t1:epassi:ED-1'))?.notifyAttempts ?? 0) >= 2);
    assert.equal(epassi.marks().length, 0);
    assert.equal(await p.services.ledger.pendingNotifications(), 2);

    epassi.setDown(false);
    await eventually('both marks', () => epassi.marks().length === 2 && p.services.ledger.pendingNotifications().then((n) => n === 0));
    await pull.notifier.stop();
    const [brp] = p.sim.orders({ ordernr: 'ED-1' });
    assert.deepEqual(Object.fromEntries(epassi.marks().map((m) => [m.purchaseId, m.body])), {
      'ED-1': { status: 'DELIVERED', merchantReference: String(brp!.brpOrderNumber), invoiceNumber: String(brp!.invoiceNumber), ocr: brp!.ocr },
      'ED-2': { status: 'REJECTED', reason: 'Unknown product (BRP error 1030)' },
    });
    assert.equal(epassi.stats().markRequests, 2, 'while down no request got through; afterwards one each');
    assert.equal(epassi.stats().conflicts, 0);
    assertNoSecrets(p.lines);
  });

  test('a delivery refused with 401 stops notifying Wellnet with one alert (outcomes kept); resume-portal sends them', async (t) => {
    const ids = ['WA-1', 'WA-2', 'WA-3'];
    // One send at a time, so the refusal is seen before the next send starts.
    const { p, wellnet, pull, close } = await startHarness(stores, {
      wellnet: { orders: ids.map((id, i) => wellnetOrder(id, i + 1)) },
      pull: { notifier: { ...FAST_NOTIFY, concurrency: 1 } },
    });
    t.after(close);
    const before = Date.now();
    assert.equal((await pull.pollOnce('wellnet')).accepted, 3);
    // The successful poll is recorded in shared state (the staleness metric reads it).
    assert.ok(((await lastPollSuccess(p.services.redis, 'pdtest', 'wellnet')) ?? 0) >= before);
    const keys = ids.map((id) => `t1:wellnet:${id}`);
    await waitAll(p, keys, 'confirmed');

    wellnet.failNext(1, '401', 'ack');
    const first = await pull.notifier.runOnce();
    // The first send is refused; the others of the batch are not tried.
    assert.deepEqual(first, { claimed: 3, done: 0, failed: 1, skipped: 2 });
    assert.equal(wellnet.stats().deliveryRequests, 1);
    const alerts = logEvents(p.lines, 'portal.notify_stopped');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.alert, true);
    assert.equal(alerts[0]!.portal, 'wellnet');
    assert.match(String(alerts[0]!.action), /partnerd resume portal wellnet/);
    assert.ok((await portalStatus(p.services, 'wellnet')).notifyStopped);
    assert.equal(await p.services.ledger.pendingNotifications(), 3, 'kept, never dropped');

    // Stopped: nothing is sent, whatever runs (and no second alert).
    await sleep(300);
    await pull.notifier.runOnce();
    assert.equal(wellnet.stats().deliveryRequests, 1);
    assert.equal(logEvents(p.lines, 'portal.notify_stopped').length, 1);

    assert.deepEqual(await resumePortal(p.services, 'wellnet'), { wasStopped: false, notifyWasStopped: true });
    // Leased keys are due again when their lease ends (5 s in this harness).
    await drainNotifications(p.services, pull, 15_000);
    assert.deepEqual(wellnet.deliveries().map((d) => d.id).sort(), ids);
    assertNoSecrets(p.lines);
  });

  test('rejection reasons: BRP codes, several errors, partnerd validation, no debug info', () => {
    assert.equal(rejectionReason({ brpError: { status: 400, errors: [{ message: 'Unknown product', code: 1030, debugInfo: 'productnumber 9999' }] } }), 'Unknown product (BRP error 1030)');
    assert.equal(
      rejectionReason({ brpError: { errors: [{ message: 'Unknown business unit', code: 1020 }, { message: 'Unknown product', code: 1030 }] } }),
      'Unknown business unit (BRP error 1020); Unknown product (BRP error 1030)',
    );
    assert.equal(rejectionReason({ rejectedBy: 'partnerd', brpError: { errors: [{ message: 'rows[0].priceOre: must be an integer' }] } }), 'Invalid order: rows[0].priceOre: must be an integer');
    assert.equal(rejectionReason({ brpError: { status: 400, errors: [] } }), 'Rejected by BRP (HTTP 400)');
    assert.equal(rejectionReason({}), 'Rejected by BRP');
    assert.equal(rejectionReason({ brpError: { errors: [{ message: 'x'.repeat(800) }] } }).length, 500);
  });
});
