import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSentinelGroup } from '../../support/private-redis.js';
import { startPipeline } from '../../support/pipeline.js';
import { sampleOrderInput } from '../../support/orders.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Redis high availability: the daemon finds the master through Redis Sentinel. The master is
 * SIGKILLed in the middle of a burst; the sentinels promote the replica (asynchronous
 * replication: the last writes may be gone), the daemon follows, and the ledger re-queues what
 * Redis lost. No order is lost and none reaches BRP twice.
 */

test('Sentinel failover mid-burst: every acknowledged order confirmed, 0 duplicate BRP orders', { timeout: 180_000 }, async (t) => {
  const group = await startSentinelGroup('pdha');
  const p = await startPipeline({
    redis: group.primary,
    faults: { latencyMs: 2, latencyJitterMs: 4 },
    // The URL carries no host in Sentinel mode; the sentinels name the master.
    extra: { redis: { url: 'redis://sentinel-managed', prefix: 'pdha', sentinels: group.sentinels, name: group.name } },
  });
  // The daemon first: its Sentinel-mode connections need the sentinels to close cleanly.
  t.after(async () => {
    await p.close();
    await group.stop();
  });

  const keys: string[] = [];
  const submitting = (async () => {
    for (let i = 0; i < 600; i++) {
      const r = await p.services.intake.accept(sampleOrderInput(`HA-${String(i).padStart(4, '0')}`));
      assert.equal(r.status, 'accepted', 'accepted even while Redis fails over: the ledger has it');
      keys.push((r as { key: string }).key);
    }
  })();
  while (p.sim.stats().ordersCreated < 150) await sleep(5);
  await group.primary.kill();
  const deadline = Date.now() + 30_000;
  while ((await group.master()) !== `127.0.0.1:${group.replica.port}`) {
    if (Date.now() > deadline) assert.fail('no failover');
    await sleep(100);
  }
  await submitting;

  const settleBy = Date.now() + 90_000;
  let states: Record<string, number> = {};
  for (;;) {
    states = {};
    for (const key of keys) {
      const s = (await p.services.ledger.get(key))?.state ?? 'missing';
      states[s] = (states[s] ?? 0) + 1;
    }
    if (states.confirmed === keys.length || Date.now() > settleBy) break;
    await sleep(250);
  }
  t.diagnostic(`final: ${JSON.stringify(states)}; BRP orders: ${p.sim.orders().length}`);
  assert.deepEqual(states, { confirmed: 600 });
  const perKey = new Map<string, number>();
  for (const o of p.sim.orders()) perKey.set(o.ordernr, (perKey.get(o.ordernr) ?? 0) + 1);
  assert.deepEqual([...perKey.values()].filter((n) => n > 1), [], '0 duplicate BRP orders');
  assert.equal(perKey.size, 600);
});
