import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLoopHealth } from '../../../src/admin/http/event-loop-health.js';

/**
 * A stall is reported wherever it falls against the windows. The case that slipped through
 * before: a stall beginning in the last sample interval (20 ms) of a window, where the window's
 * turn ran before the stall was sampled and the stall was never counted.
 */
test('a stall is reported however close to the end of a window it began', async () => {
  const windowMs = 400;
  for (const leadMs of [100, 15, 8, 3, 0]) {
    const health = new EventLoopHealth({ maxDelayMs: 300, windowMs });
    try {
      await new Promise((r) => setTimeout(r, windowMs - leadMs));
      const until = Date.now() + 700;
      while (Date.now() < until) { /* block the event loop */ }
      await new Promise((r) => setTimeout(r, 30));
      const report = health.report();
      assert.equal(report.blocked, true, `stall beginning ${leadMs} ms before a window's end: ${JSON.stringify(report)}`);
      assert.ok(report.maxDelayMs >= 600, JSON.stringify(report));
    } finally {
      health.close();
    }
  }
});

test('a stall still in its sample interval is counted by a report made before the sampler ran', () => {
  const health = new EventLoopHealth({ maxDelayMs: 300, windowMs: 10_000 });
  try {
    const until = Date.now() + 400;
    while (Date.now() < until) { /* block: no timer can run before report() */ }
    const report = health.report();
    assert.equal(report.blocked, true, JSON.stringify(report));
  } finally {
    health.close();
  }
});
