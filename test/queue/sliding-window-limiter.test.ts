import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { SlidingWindowLimiter } from '../../src/queue/sliding-window-limiter.js';
import { startRedis, type PrivateRedis } from '../../support/private-redis.js';

/**
 * The tenant's rate budget against a real Redis: grants keep every window of the configured
 * length within `max`, however many workers and replicas ask, and a Retry-After holds them all.
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
  test('grants: the first max at once, each later one when the max-th latest grant leaves the window', async () => {
    const limiter = new SlidingWindowLimiter(a, 'rl');
    const t0 = Date.now();
    const slots = [];
    for (let i = 0; i < 7; i++) slots.push(await limiter.reserve('t1', budget, 5_000));
    assert.ok(slots.every((s) => s.reserved));
    const waits = slots.map((s) => s.waitMs);
    assert.deepEqual(waits.slice(0, 3), [0, 0, 0]);
    for (const w of waits.slice(3, 6)) assert.ok(w >= 990 && w <= 1_010, `second window: ${w} ms`);
    assert.ok(waits[6]! >= 1_990 && waits[6]! <= 2_010, `third window: ${waits[6]} ms`);
    // The instants they were granted for, on one clock: never more than max in a window.
    assertWithinBudget(waits.map((w) => t0 + w), 3, 990);
  });

  test('a slot further away than the caller will wait is not taken, and costs the others nothing', async () => {
    const limiter = new SlidingWindowLimiter(a, 'rl');
    for (let i = 0; i < 3; i++) await limiter.reserve('t1', budget, 500);
    const refused = await limiter.reserve('t1', budget, 500);
    assert.equal(refused.reserved, false);
    assert.ok(refused.waitMs > 500 && refused.waitMs <= 1_000, `${refused.waitMs}`);
    const later = await limiter.reserve('t1', budget, 5_000);
    assert.ok(later.reserved && later.waitMs <= 1_000, 'the refusal did not push the next grant back');
  });

  test('two replicas asking at once share one budget', async () => {
    const ra = new SlidingWindowLimiter(a, 'rl');
    const rb = new SlidingWindowLimiter(b, 'rl');
    const t0 = Date.now();
    const slots = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? ra : rb).reserve('t1', budget, 10_000)));
    assert.equal(slots.filter((s) => s.waitMs === 0).length, 3);
    assertWithinBudget(slots.map((s) => t0 + s.waitMs), 3, 990);
  });

  test('Retry-After: no grant before it has passed, for any replica; other tenants are not held', async () => {
    const ra = new SlidingWindowLimiter(a, 'rl');
    const rb = new SlidingWindowLimiter(b, 'rl');
    await ra.blockFor('t1', budget, 1_500);
    const s = await rb.reserve('t1', budget, 5_000);
    assert.ok(s.reserved && s.waitMs >= 1_490 && s.waitMs <= 1_510, `${s.waitMs}`);
    assert.deepEqual(await rb.reserve('t2', budget, 5_000), { reserved: true, waitMs: 0 });
  });
});
