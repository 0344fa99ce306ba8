import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { SlidingWindowLimiter } from '../../src/queue/sliding-window-limiter.js';
import { startRedis, type PrivateRedis } from '../../support/private-redis.js';

/**
 * The tenant's rate budget against a real Redis: grants are evenly spaced and keep every window
 * of the configured length within `max`, however many workers and replicas ask, and a
 * Retry-After holds them all.
 */

let redis: PrivateRedis;
let a: Redis;
let b: Redis;
before(async () => {
  redis = await startRedis();
  a = new Redis(redis.url);
  b = new Redis(redis.url);
});
after(async () => {
  a.disconnect();
  b.disconnect();
  await redis.stop();
});
beforeEach(() => a.flushall());

const budget = { max: 3, durationMs: 1_000, marginMs: 0 };

/** Every window of `windowMs` holds at most `max` of these instants. */
function assertWithinBudget(instants: number[], max: number, windowMs: number): void {
  const t = [...instants].sort((x, y) => x - y);
  for (let i = 0; i + max < t.length; i++) assert.ok(t[i + max]! - t[i]! >= windowMs, `${max + 1} grants within ${t[i + max]! - t[i]!} ms`);
}

describe('sliding-window rate budget', () => {
  test('grants: the first at once, each later one a window / max after the one before, not in bursts', async () => {
    const limiter = new SlidingWindowLimiter(a, 'rl');
    const t0 = Date.now();
    const slots = [];
    for (let i = 0; i < 7; i++) slots.push(await limiter.reserve('t1', budget, 5_000));
    assert.ok(slots.every((s) => s.reserved));
    const waits = slots.map((s) => s.waitMs);
    assert.equal(waits[0], 0);
    // 1000 ms / 3: the k-th grant about k × 333 ms from the first (the reserves themselves take a few ms).
    waits.forEach((w, k) => assert.ok(Math.abs(w - (k * 1_000) / 3) <= 15, `grant ${k}: ${w} ms`));
    // The instants they were granted for, on one clock: never more than max in a window.
    assertWithinBudget(waits.map((w) => t0 + w), 3, 990);
  });

  test('calls asked for at once are spaced too', async () => {
    const limiter = new SlidingWindowLimiter(a, 'rl');
    const quick = { max: 4, durationMs: 200, marginMs: 0 };
    const t0 = Date.now();
    const first = await Promise.all(Array.from({ length: 4 }, () => limiter.reserve('t1', quick, 5_000)));
    const waits = first.map((s) => s.waitMs).sort((x, y) => x - y);
    // 200 ms / 4 = 50 ms apart, not four at once.
    waits.forEach((w, k) => assert.ok(Math.abs(w - k * 50) <= 15, `grant ${k}: ${w} ms`));
    assertWithinBudget(waits.map((w) => t0 + w), 4, 195);
  });

  test('each grant says how many grants the window holds with it, those still ahead included', async () => {
    const limiter = new SlidingWindowLimiter(a, 'rl');
    const quick = { max: 4, durationMs: 200, marginMs: 0 };
    const inWindow = [];
    let lastId = '';
    for (let i = 0; i < 5; i++) {
      const s = await limiter.reserve('t1', quick, 5_000);
      assert.ok(s.reserved);
      inWindow.push(s.inWindow);
      lastId = s.id;
    }
    // Granted 50 ms apart, all five within the first 200 ms of the set's life: nothing has left yet.
    assert.deepEqual(inWindow, [1, 2, 3, 4, 5]);
    // A missed slot given back leaves the count: the new grant takes its place, not a sixth.
    const again = await limiter.reserve('t1', quick, 5_000, lastId);
    assert.ok(again.reserved && again.inWindow === 5, JSON.stringify(again));
  });

  test('a slot further away than the caller will wait is not taken, and costs the others nothing', async () => {
    const limiter = new SlidingWindowLimiter(a, 'rl');
    // Grants at about 0 and 333 ms; the third would be at about 667 ms.
    for (let i = 0; i < 2; i++) assert.ok((await limiter.reserve('t1', budget, 500)).reserved);
    const refused = await limiter.reserve('t1', budget, 500);
    assert.equal(refused.reserved, false);
    assert.ok(refused.waitMs > 500 && refused.waitMs <= 680, `${refused.waitMs}`);
    const later = await limiter.reserve('t1', budget, 5_000);
    assert.ok(later.reserved && later.waitMs <= 680, `the refusal did not push the next grant back: ${later.waitMs}`);
  });

  test('two replicas asking at once share one budget', async () => {
    const ra = new SlidingWindowLimiter(a, 'rl');
    const rb = new SlidingWindowLimiter(b, 'rl');
    const t0 = Date.now();
    const slots = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? ra : rb).reserve('t1', budget, 10_000)));
    assert.ok(slots.every((s) => s.reserved));
    assert.equal(slots.filter((s) => s.waitMs === 0).length, 1);
    // One schedule for both: twelve distinct instants a third of a second apart.
    const waits = slots.map((s) => s.waitMs).sort((x, y) => x - y);
    for (let k = 1; k < waits.length; k++) assert.ok(waits[k]! - waits[k - 1]! >= 330, `grants ${k - 1} and ${k}: ${waits[k - 1]}, ${waits[k]} ms`);
    assertWithinBudget(slots.map((s) => t0 + s.waitMs), 3, 990);
  });

  test('Retry-After: no grant before it has passed, for any replica; other tenants are not held', async () => {
    const ra = new SlidingWindowLimiter(a, 'rl');
    const rb = new SlidingWindowLimiter(b, 'rl');
    await ra.blockFor('t1', budget, 1_500);
    const s = await rb.reserve('t1', budget, 5_000);
    assert.ok(s.reserved && s.waitMs >= 1_490 && s.waitMs <= 1_510, `${s.waitMs}`);
    const other = await rb.reserve('t2', budget, 5_000);
    assert.ok(other.reserved && other.waitMs === 0, JSON.stringify(other));
  });
});
