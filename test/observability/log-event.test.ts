import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/observability/logger.js';
import { logEvent } from '../../src/observability/log-event.js';
import { EVENTS } from '../../src/observability/events.js';
import { ingestRequestsTotal, ordersTotal, setMetricsRecording } from '../../src/observability/metrics.js';
import { duplicateKeyError } from '../../support/test-logs.js';

/** A logger writing into an array of raw lines, as the daemon's would to stdout. */
function capture(level = 'debug') {
  const raw: string[] = [];
  const logger = createLogger({ level }, { write: (chunk: string) => { for (const l of chunk.split('\n')) if (l) raw.push(l); } });
  return { logger, raw, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function counterValue(counter: typeof ordersTotal | typeof ingestRequestsTotal, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))?.value ?? 0;
}

test('the name is written once, as event and as message; alert events carry alert: true; the level is the catalogue\'s', () => {
  const { logger, lines } = capture();
  logEvent(logger, 'order.accepted', { tenant: 't1', portal: 'benify', ordernr: 'A-1', state: 'queued', requestId: 'req-1' });
  logEvent(logger, 'order.dead', { tenant: 't1', portal: 'benify', ordernr: 'A-2', attempt: 3, durationMs: 12, reason: 'HTTP 503' });
  const [accepted, dead] = lines();
  assert.equal(accepted!.event, 'order.accepted');
  assert.equal(accepted!.msg, 'order.accepted');
  assert.equal(accepted!.level, 'info');
  assert.equal(accepted!.alert, undefined);
  assert.equal(accepted!.requestId, 'req-1');
  assert.equal(dead!.level, EVENTS['order.dead'].level);
  assert.equal(dead!.alert, true);
  assert.equal(dead!.durationMs, 12);
});

test('no duplicate keys: a field the logger already binds (tenant on a worker\'s child, service) is written once', () => {
  const { logger, raw, lines } = capture();
  const child = logger.child({ tenant: 't1' });
  logEvent(child, 'order.confirmed', { tenant: 't1', portal: 'benify', ordernr: 'C-1', attempt: 1, durationMs: 40, brpOrderNumber: '17', amountOre: 2500 });
  logEvent(child, 'worker.error', { tenant: 't1', err: new Error('boom') });
  for (const l of raw) assert.equal(duplicateKeyError(l), undefined, l);
  assert.equal(lines()[0]!.tenant, 't1');
  assert.equal(lines()[1]!.tenant, 't1');
  // The check itself catches what it is for.
  assert.match(duplicateKeyError('{"event":"x","tenant":"a","tenant":"a"}') ?? '', /tenant|unique|duplicate/i);
});

test('undefined fields are left out; a level that depends on the fields (ingest.request) follows them', () => {
  const { logger, lines } = capture('debug');
  const base = { requestId: 'r', method: 'POST', route: '/portals/benify/orders', status: 202, elapsedMs: 3 };
  logEvent(logger, 'ingest.request', { ...base, portal: 'benify', ordernr: undefined, outcome: 'accepted' });
  logEvent(logger, 'ingest.request', { ...base, portal: 'benify', status: 503, outcome: 'unavailable' });
  logEvent(logger, 'ingest.request', { ...base, route: '(unmatched)', status: 404 });
  const [ok, unavailable, scanner] = lines();
  assert.equal(ok!.level, 'info');
  assert.equal('ordernr' in ok!, false);
  assert.equal(unavailable!.level, 'error');
  assert.equal(scanner!.level, 'debug');
});

test('redaction stays the safety net on ordinary events; order events skip it (their fields are a fixed whitelist)', () => {
  const { logger, lines } = capture();
  logEvent(logger, 'simulator.listening', { url: 'http://x', baseUrls: {}, faults: { email: 'tessan@test.com' }, config: 'c.yaml' });
  const [line] = lines();
  assert.deepEqual(line!.faults, { email: '[redacted]' });
});

test('events are counted whatever the log level; recording can be switched off', async () => {
  const { logger } = capture('fatal');
  const labels = { portal: 'actiway', tenant: 'count-t', outcome: 'confirmed' };
  const before = await counterValue(ordersTotal, labels);
  logEvent(logger, 'order.confirmed', { tenant: 'count-t', portal: 'actiway', ordernr: 'N-1', attempt: 1, durationMs: 5, amountOre: 100 });
  assert.equal(await counterValue(ordersTotal, labels), before + 1);
  logEvent(logger, 'ingest.request', { requestId: 'r', method: 'GET', route: '(unmatched)', status: 404, elapsedMs: 1 });
  assert.ok((await counterValue(ingestRequestsTotal, { portal: 'none', status: '404' })) >= 1);
  setMetricsRecording(false);
  try {
    logEvent(logger, 'order.confirmed', { tenant: 'count-t', portal: 'actiway', ordernr: 'N-2', attempt: 1, durationMs: 5 });
    assert.equal(await counterValue(ordersTotal, labels), before + 1);
  } finally {
    setMetricsRecording(true);
  }
});
