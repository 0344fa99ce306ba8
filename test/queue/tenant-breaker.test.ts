import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../../src/brp/classify-outcome.js';
import { breakerSignal, probeDelay, TenantBreaker } from '../../src/queue/tenant-breaker.js';

describe('the circuit breaker\'s decision table', () => {
  test('any answer from BRP is an answer; nothing reaching BRP or 5xx is unreachable; no answer after sending is a timeout', () => {
    const cases: Array<[Outcome, string]> = [
      [{ class: 'confirmed', status: 200, confirmation: {} as never }, 'answered'],
      [{ class: 'confirmed_unparsed', status: 200, reason: 'x', rawBody: '' }, 'answered'],
      [{ class: 'rejected', status: 400, errors: [] }, 'answered'],
      [{ class: 'auth_failed', status: 401, errors: [] }, 'answered'],
      [{ class: 'throttled', status: 429, retryAfterMs: 1000 }, 'answered'],
      [{ class: 'transient', reason: 'ECONNREFUSED' }, 'unreachable'],
      [{ class: 'transient', reason: 'UND_ERR_CONNECT_TIMEOUT' }, 'unreachable'],
      [{ class: 'transient', status: 503, reason: 'HTTP 503' }, 'unreachable'],
      [{ class: 'transient', status: 500, reason: 'HTTP 500' }, 'unreachable'],
      [{ class: 'transient', status: 408, reason: 'HTTP 408' }, 'neutral'],
      [{ class: 'transient', status: 404, reason: 'HTTP 404 without BRP <errors>' }, 'neutral'],
      [{ class: 'in_doubt', reason: 'UND_ERR_HEADERS_TIMEOUT' }, 'timeout'],
      [{ class: 'in_doubt', reason: 'UND_ERR_SOCKET' }, 'timeout'],
    ];
    for (const [outcome, signal] of cases) assert.equal(breakerSignal(outcome), signal, JSON.stringify(outcome));
  });

  test('opens at the threshold of consecutive failures; any answer resets; after opening it counts afresh', () => {
    const b = new TenantBreaker({ failures: 3, timeouts: 2 });
    assert.deepEqual(['unreachable', 'unreachable', 'answered', 'unreachable', 'unreachable'].map((s) => b.record(s as never)), [undefined, undefined, undefined, undefined, undefined]);
    assert.equal(b.record('unreachable'), 'open');
    assert.equal(b.record('unreachable'), undefined, 'counting starts over: another replica may resume the tenant');
    assert.equal(b.record('neutral'), undefined);
    assert.equal(b.record('timeout'), undefined);
    assert.equal(b.record('timeout'), 'open', 'timeouts have their own, lower threshold');
  });

  test('probes back off: base, doubling, capped', () => {
    assert.deepEqual([1, 2, 3, 4, 8, 20].map((n) => probeDelay(n, 1_000, 30_000)), [1_000, 2_000, 4_000, 8_000, 30_000, 30_000]);
  });
});
