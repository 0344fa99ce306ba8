import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../src/queue/backoff.js';

const retry = { attempts: 10, baseDelayMs: 1000, maxDelayMs: 10_000, jitter: 0.2 };

test('doubles per attempt without jitter at the midpoint', () => {
  const mid = () => 0.5;
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(n, retry, mid)), [1000, 2000, 4000, 8000]);
});

test('is capped at maxDelayMs, jitter included', () => {
  assert.equal(backoffDelay(10, retry, () => 0.5), 10_000);
  assert.equal(backoffDelay(10, retry, () => 0.999), 10_000);
});

test('jitter spreads within ±jitter', () => {
  assert.equal(backoffDelay(1, retry, () => 0), 800);
  assert.equal(backoffDelay(1, retry, () => 1), 1200);
});
