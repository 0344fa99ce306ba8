import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { isPartnerdError } from '../../src/errors.js';
import type { OrderState } from '../../src/ledger/order-state.js';
import { startPipeline, type Pipeline } from '../../support/pipeline.js';
import { sampleOrderInput } from '../../support/orders.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * PostgreSQL holds every order; Redis only says which order is due. So losing Redis, entirely
 * or for a moment, loses no order and sends none twice, and a PostgreSQL restart costs refused
 * intake while it is down, never an acknowledged order.
 */

/** Submits `n` orders with `concurrency` at a time; returns the keys acknowledged and the refusals. */
async function burst(p: Pipeline, prefix: string, n: number, concurrency: number, pace = 0): Promise<{ accepted: string[]; refused: number }> {
  const accepted: string[] = [];
  let refused = 0;
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      try {
        const r = await p.services.intake.accept(sampleOrderInput(`${prefix}-${String(i).padStart(4, '0')}`));
        assert.equal(r.status, 'accepted');
        accepted.push((r as { key: string }).key);
      } catch (err) {
        assert.ok(isPartnerdError(err, 'PD_DATABASE_UNAVAILABLE'), `intake failed with ${(err as Error).message}`);
        refused++;
      }
      if (pace) await sleep(pace);
    }
  }));
  return { accepted, refused };
}

async function settle(p: Pipeline, keys: string[], timeoutMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states: Record<string, number> = {};
    for (const key of keys) {
      const s: OrderState | 'missing' = (await p.services.ledger.get(key))?.state ?? 'missing';
      states[s] = (states[s] ?? 0) + 1;
    }
    const final = (states.confirmed ?? 0) + (states.in_doubt ?? 0) + (states.dead ?? 0) + (states.rejected ?? 0);
    if (final === keys.length || Date.now() > deadline) return states;
    await sleep(250);
  }
}

/** BRP orders per order number: a value above 1 is a duplicate invoice. */
function brpOrdersPerKey(p: Pipeline): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of p.sim.orders()) m.set(o.ordernr, (m.get(o.ordernr) ?? 0) + 1);
  return m;
}

describe('store failures', { concurrency: false }, () => {
  test('Redis FLUSHALL in the middle of 1,000 orders: every acknowledged order is confirmed, none reaches BRP twice', { timeout: 180_000 }, async (t) => {
    const p = await startPipeline({ faults: { latencyMs: 2, latencyJitterMs: 4 }, tenant: { concurrency: 16 } });
    t.after(() => p.close());
    const submitting = burst(p, 'FA', 1_000, 8);
    while (p.sim.stats().ordersCreated < 200) await sleep(5);
    const r = new Redis(p.redis.url);
    await r.flushall();
    r.disconnect();
    const createdAtFlush = p.sim.stats().ordersCreated;
    const { accepted, refused } = await submitting;
    assert.equal(refused, 0);
    assert.equal(accepted.length, 1_000);
    const states = await settle(p, accepted, 120_000);
    t.diagnostic(`created at FLUSHALL: ${createdAtFlush}; final: ${JSON.stringify(states)}; BRP orders: ${p.sim.orders().length}`);
    assert.ok(createdAtFlush < 900, `the flush came mid-burst (${createdAtFlush} created)`);
    assert.deepEqual(states, { confirmed: 1_000 }, 'no order lost, none in doubt');
    const perKey = brpOrdersPerKey(p);
    assert.deepEqual([...perKey.values()].filter((n) => n > 1), [], '0 duplicate BRP orders');
    assert.equal(perKey.size, 1_000);
    assert.ok(p.lines.some((l) => l.event === 'redis.data_lost'), 'the daemon noticed Redis had lost its data');
  });

  test('Redis SIGKILLed while calls are in flight: their answers are recorded, 0 in doubt because of the blip', { timeout: 120_000 }, async (t) => {
    const p = await startPipeline({ faults: { latencyMs: 800 }, tenant: { concurrency: 8, timeouts: { connectMs: 1_000, responseMs: 5_000 } } });
    t.after(() => p.close());
    const { accepted } = await burst(p, 'RK', 40, 4);
    while (p.sim.stats().requests < 4) await sleep(5);
    await sleep(100); // calls are in flight, BRP answers in 800 ms
    await p.redis.kill();
    await sleep(2_000);
    await p.redis.restart(); // empty: it keeps nothing on disk
    const states = await settle(p, accepted, 60_000);
    t.diagnostic(`final: ${JSON.stringify(states)}; BRP orders: ${p.sim.orders().length}`);
    assert.deepEqual(states, { confirmed: 40 });
    assert.deepEqual([...brpOrdersPerKey(p).values()].filter((n) => n > 1), [], '0 duplicate BRP orders');
    assert.equal(p.lines.filter((l) => l.event === 'order.in_doubt').length, 0);
  });

  test('PostgreSQL restarted mid-burst: intake refuses while it is down, no acknowledged order is lost, workers resume', { timeout: 180_000 }, async (t) => {
    const p = await startPipeline({ faults: { latencyMs: 5, latencyJitterMs: 10 }, tenant: { concurrency: 8 } });
    t.after(() => p.close());
    const submitting = burst(p, 'PG', 600, 4, 2);
    while (p.sim.stats().ordersCreated < 100) await sleep(5);
    await p.postgres.stop(); // a fast shutdown: every session is cut, as in a restart or failover
    await sleep(1_000);
    await p.postgres.restart();
    const during = await submitting;
    const after = await burst(p, 'PA', 100, 4);
    assert.equal(after.refused, 0, 'intake works again once PostgreSQL is back');
    const accepted = [...during.accepted, ...after.accepted];
    t.diagnostic(`acknowledged ${during.accepted.length} around the restart (refused ${during.refused}), then ${after.accepted.length}`);
    assert.ok(during.refused > 0, 'intake refused (503 for a portal) while PostgreSQL was down');
    assert.ok(during.accepted.length > 100);
    const states = await settle(p, accepted, 120_000);
    t.diagnostic(`final: ${JSON.stringify(states)}; BRP orders: ${p.sim.orders().length}`);
    assert.deepEqual(states, { confirmed: accepted.length }, 'every acknowledged order was sent once the ledger was back');
    const perKey = brpOrdersPerKey(p);
    assert.deepEqual([...perKey.values()].filter((n) => n > 1), [], '0 duplicate BRP orders');
    // A refusal whose commit had in fact succeeded (the answer was lost with the connection) is
    // an order the portal resends and is told "duplicate": every BRP order is a ledger order.
    for (const ordernr of perKey.keys()) assert.ok(await p.services.ledger.keyForPortalOrder('benify', ordernr), `${ordernr} is in the ledger`);
  });

  test('PostgreSQL down when BRP answers: recorded once it is back within the lock time; otherwise logged with BRP\'s numbers and held in doubt', { timeout: 120_000 }, async (t) => {
    // lockDurationMs 2 s in the test config: recording is retried that long.
    const p = await startPipeline({ faults: { latencyMs: 700 }, tenant: { concurrency: 4, timeouts: { connectMs: 1_000, responseMs: 5_000 } } });
    t.after(() => p.close());

    // A short outage: BRP answers while the ledger is down, the answer is recorded when it is back.
    const { accepted: shortKeys } = await burst(p, 'PS', 4, 4);
    while (p.sim.stats().requests < 4) await sleep(5);
    await p.postgres.stop();
    await sleep(1_000); // BRP answers at ~700 ms, into the outage
    await p.postgres.restart();
    assert.deepEqual(await settle(p, shortKeys, 30_000), { confirmed: 4 }, 'nothing lost, nothing in doubt');
    for (const key of shortKeys) {
      const rec = (await p.services.ledger.get(key))!;
      assert.equal(rec.brpOrderNumber, String(p.sim.orders({ ordernr: rec.ordernr })[0]!.brpOrderNumber));
    }

    // A long outage: past the lock time the answer cannot wait; it is logged with BRP's numbers
    // (an alert) and the order, its attempt still open, ends in doubt for an operator to resolve.
    const { accepted: longKeys } = await burst(p, 'PL', 2, 2);
    while (p.sim.stats().requests < 6) await sleep(5);
    await p.postgres.stop();
    await sleep(4_000);
    await p.postgres.restart();
    assert.deepEqual(await settle(p, longKeys, 60_000), { in_doubt: 2 });
    const unrecorded = p.lines.filter((l) => l.event === 'order.unrecorded');
    assert.deepEqual(unrecorded.map((l) => l.ordernr).sort(), ['PL-0000', 'PL-0001']);
    for (const l of unrecorded) {
      assert.equal(l.alert, true);
      assert.equal(l.brpOrderNumber, String(p.sim.orders({ ordernr: l.ordernr as string })[0]!.brpOrderNumber), 'BRP\'s numbers are in the log');
      assert.ok(l.invoiceNumber && l.ocr);
    }
    assert.deepEqual([...brpOrdersPerKey(p).values()].filter((n) => n > 1), [], 'never sent twice');
  });
});
