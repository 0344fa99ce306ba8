import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { startPipeline } from '../../support/pipeline.js';
import { sampleOrderInput, TEST_PERSONAL_VALUES } from '../../support/orders.js';
import { duplicateKeyError, TEST_LOG_FILE } from '../../support/test-logs.js';
import { EVENTS } from '../../src/observability/events.js';
import { TEST_API_KEY } from '../../support/pipeline.js';

/**
 * `npm test`'s second step, after the suite (`npm run test:audit`; not a *.test.ts, so the suite
 * does not run it). Every test that runs the pipeline appends its log lines — in-process loggers
 * and spawned daemons alike — to the file PARTNERD_TEST_LOG names; this test adds a scenario of
 * its own and then reads the whole file for personal data.
 */
if (!process.env.PARTNERD_TEST_LOG) {
  throw new Error('PARTNERD_TEST_LOG is not set: the log audit reads the log file the suite wrote. Run `npm test`, or set PARTNERD_TEST_LOG to one file for both `npm run test:suite` and `npm run test:audit`.');
}
const FORBIDDEN = [...TEST_PERSONAL_VALUES, TEST_API_KEY];
/** Lines the suite wrote before this file added its own: an audit of an empty file proves nothing. */
const SUITE_LINES = existsSync(TEST_LOG_FILE) ? readFileSync(TEST_LOG_FILE, 'utf8').split('\n').filter(Boolean).length : 0;

test('the full log output of the test run contains no personnummer, name, e-mail, phone or API key', async () => {
  const p = await startPipeline({ faults: { scriptByOrdernr: { 'LA-2': ['503'], 'LA-3': ['timeout-after-commit'], 'LA-4': ['401'] }, hangMs: 2_000 } });
  try {
    const keys = [];
    for (const n of ['LA-1', 'LA-2', 'LA-3']) {
      const r = await p.services.intake.accept(sampleOrderInput(n));
      assert.equal(r.status, 'accepted');
      keys.push((r as { key: string }).key);
    }
    await p.services.intake.accept(sampleOrderInput('LA-1')); // duplicate
    await p.services.intake.accept(sampleOrderInput('LA-5', { items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 1 }] }));
    await p.waitForState(keys[0]!, 'confirmed');
    await p.waitForState(keys[1]!, 'confirmed');
    await p.waitForState(keys[2]!, 'in_doubt');
    await p.waitForState('t1:benify:LA-5', 'rejected');
    assert.ok(p.lines.length >= 8, 'the scenario logged');
  } finally {
    await p.close();
  }

  assert.ok(existsSync(TEST_LOG_FILE), `log file ${TEST_LOG_FILE}`);
  const text = readFileSync(TEST_LOG_FILE, 'utf8');
  const lines = text.split('\n').filter(Boolean);
  assert.ok(lines.length > 0);
  for (const needle of FORBIDDEN) {
    const hit = lines.find((l) => l.includes(needle));
    assert.equal(hit, undefined, `log contains ${JSON.stringify(needle)}: ${hit?.slice(0, 300)}`);
  }
  for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), `every log line is JSON: ${l.slice(0, 200)}`);
});

test('every line of the run is one catalogued event, with no key twice', () => {
  const lines = readFileSync(TEST_LOG_FILE, 'utf8').split('\n').filter(Boolean);
  assert.ok(SUITE_LINES > 100, `the suite wrote ${SUITE_LINES} lines to ${TEST_LOG_FILE}`);
  for (const l of lines) {
    const line = JSON.parse(l) as Record<string, unknown>;
    assert.equal(typeof line.event, 'string', `a line without an event: ${l.slice(0, 200)}`);
    assert.ok((line.event as string) in EVENTS, `${String(line.event)} is not in the catalogue`);
    assert.equal(line.msg, line.event, `the message is the event name: ${l.slice(0, 200)}`);
    assert.equal(duplicateKeyError(l), undefined, `duplicate key: ${l.slice(0, 300)}`);
  }
});
