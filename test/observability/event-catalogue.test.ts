import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { EVENT_NAMES, EVENTS, RESERVED_KEYS, type EventName } from '../../src/observability/events.js';
import { EVENTS_DOC, renderEventsDoc } from '../../scripts/events-doc.js';

/**
 * The catalogue (src/observability/events.ts) against the source: every event a call site logs
 * is declared, every declared event is logged somewhere, nothing logs around logEvent, every name
 * is in one style, the docs list every event, and the events a human must act on are alerts.
 * What a run really logs is checked against the catalogue line by line as well: every line of
 * the whole test run (test/zz-audit/log-audit.test.ts) and of a daemon started with
 * `partnerd run` at debug level (test/cli/run-environment.test.ts).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');
/** The catalogue and the helper that writes lines: the only files that may talk to pino directly. */
const LOGGING_CORE = new Set(['src/observability/events.ts', 'src/observability/log-event.ts', 'src/observability/logger.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((path) => ({ rel: relative(ROOT, path), text: readFileSync(path, 'utf8') }));
const callSites = files.filter((f) => !LOGGING_CORE.has(f.rel));

test('every event a call site logs is in the catalogue, named once per call (logEvent)', () => {
  const logged = new Map<string, string[]>();
  for (const f of callSites) {
    for (const m of f.text.matchAll(/logEvent\(\s*[^,()]+(?:\([^)]*\))?,\s*'([^']+)'/g)) {
      logged.set(m[1]!, [...(logged.get(m[1]!) ?? []), f.rel]);
    }
  }
  assert.ok(logged.size >= 40, `found ${logged.size} logged events`);
  for (const [name, where] of logged) assert.ok(name in EVENTS, `${name} (${where.join(', ')}) is not in the catalogue`);
});

test('nothing logs around logEvent: no pino level calls and no hand-made `event:` keys outside the logging core', () => {
  for (const f of callSites) {
    const direct = f.text.match(/\b(?:log|logger|\w+\.logger|this\.log)\??\.(?:trace|debug|info|warn|error|fatal)\(/);
    assert.equal(direct, null, `${f.rel} calls pino directly: ${direct?.[0]}`);
    const handMade = f.text.match(/[{,]\s*event:\s*['`]/);
    assert.equal(handMade, null, `${f.rel} builds an event line by hand: ${handMade?.[0]}`);
  }
});

test('every event name is in one style: area.what, lower case, words joined by _', () => {
  for (const name of EVENT_NAMES) assert.match(name, /^[a-z]+(\.[a-z]+(_[a-z]+)*)+$/, name);
});

test('every catalogue event is logged somewhere in src/ (no dead entries)', () => {
  const text = callSites.map((f) => f.text).join('\n');
  for (const name of EVENT_NAMES) assert.ok(text.includes(`'${name}'`), `${name} is declared but never logged`);
});

test('events a human must act on are alerts; no event declares a key the logger writes itself', () => {
  const mustAlert: EventName[] = [
    'order.dead', 'order.in_doubt', 'order.confirmed_unparsed', 'order.rejected', 'order.unroutable',
    'tenant.paused', 'portal.stopped', 'portal.notify_stopped',
  ];
  for (const name of mustAlert) assert.equal(EVENTS[name].alert, true, `${name} is an alert`);
  for (const name of EVENT_NAMES) {
    const spec = EVENTS[name];
    if (spec.alert) assert.match(spec.summary, /partnerd [a-z-]+|resumes it|Ask the portal/, `${name}: an alert says what resolves it`);
    for (const key of RESERVED_KEYS) assert.equal(key in spec.fields, false, `${name} declares the reserved key ${key}`);
    // Redaction is only skipped for events whose fields are plain ids and money.
    if ('redact' in spec && spec.redact === false) {
      for (const [k, kind] of Object.entries(spec.fields)) assert.doesNotMatch(kind, /object|error/, `${name}.${k}: no nested values without redaction`);
    }
  }
});

test('docs/events.md lists every event and is what the catalogue renders; the README links it', () => {
  const doc = readFileSync(EVENTS_DOC, 'utf8');
  assert.equal(doc, renderEventsDoc(), 'docs/events.md is out of date: npm run docs:events');
  for (const name of EVENT_NAMES) assert.ok(doc.includes(`| \`${name}\` |`), `${name} is listed`);
  assert.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), /\(docs\/events\.md\)/);
});
