import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busiestWindow } from '../../support/busiest-window.js';

test('busiestWindow: the most calls in any window [t, t + width), wherever it starts', () => {
  assert.equal(busiestWindow([], 1_000), 0);
  assert.equal(busiestWindow([5], 1_000), 1);
  // Evenly spaced at the limit: 10 per second, never 11, in any window.
  const even = Array.from({ length: 50 }, (_, i) => i * 100);
  assert.equal(busiestWindow(even, 1_000), 10);
  // A call exactly one width after another is in the next window, not the same one.
  assert.equal(busiestWindow([0, 1_000], 1_000), 1);
  assert.equal(busiestWindow([0, 999], 1_000), 2);
  // A burst straddling a fixed-window boundary: fixed one-second windows count 4 and 3, a sliding one 6.
  assert.equal(busiestWindow([0, 700, 800, 900, 1_000, 1_100, 1_200, 2_500], 1_000), 6);
});
