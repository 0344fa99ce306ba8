/**
 * docs/events.md from the event catalogue (src/observability/events.ts):
 * `npm run docs:events` writes it; a test fails when the file differs from what this renders.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EVENT_NAMES, EVENTS, type EventSpec } from '../src/observability/events.js';

export const EVENTS_DOC = resolve(import.meta.dirname, '../docs/events.md');

const GROUPS: Array<[prefix: string, title: string]> = [
  ['order.', 'Orders'],
  ['tenant.', 'Tenants (BRP instances)'],
  ['daemon.', 'The daemon'],
  ['reconcile.', 'The daemon'],
  ['probe.', 'The daemon'],
  ['worker.', 'The daemon'],
  ['redis.', 'The daemon'],
  ['ingest.', 'Push ingest (Benify, Actiway)'],
  ['admin.', 'The admin listener'],
  ['pull.', 'Pull ingest (Wellnet, Epassi) and the outcome notifier'],
  ['portal.', 'Pull ingest (Wellnet, Epassi) and the outcome notifier'],
  ['schedule.', 'Schedules'],
  ['sop.', 'S&P file drop'],
  ['simulator.', 'The BRP simulator'],
];

function groupOf(name: string): string {
  return GROUPS.find(([p]) => name.startsWith(p))?.[1] ?? 'Other';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function row(name: string, spec: EventSpec): string {
  const level = typeof spec.level === 'function' ? `info (${spec.levelNote ?? 'depends on the fields'})` : spec.level;
  const fields = Object.entries(spec.fields).map(([k, kind]) => (kind.endsWith('?') ? `${k}?` : k)).join(', ') || '—';
  return `| \`${name}\` | ${cell(level)} | ${spec.alert ? '**yes**' : ''} | ${cell(fields)} | ${cell(spec.summary)} |`;
}

export function renderEventsDoc(): string {
  const out: string[] = [
    '# partnerd log events',
    '',
    '<!-- Generated from src/observability/events.ts by `npm run docs:events`; do not edit by hand. -->',
    '',
    'Every line partnerd logs is pino JSON with `event` (also the message `msg`), `level`, `time`,',
    '`service` and the fields below (`?`: only when known). Lines of events marked **alert** carry',
    '`alert: true`: a human must act, and the summary says how. Fields never carry personal data or',
    'secrets; order numbers (`ordernr`) are ids, never metric labels.',
    '',
    'In Loki: `{service="partnerd"} | json | event="order.rejected"`; every alert: `| json | alert="true"`.',
  ];
  let current = '';
  for (const name of EVENT_NAMES) {
    const group = groupOf(name);
    if (group !== current) {
      current = group;
      out.push('', `## ${group}`, '', '| event | level | alert | fields | meaning |', '|---|---|---|---|---|');
    }
    out.push(row(name, EVENTS[name]));
  }
  return `${out.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(EVENTS_DOC, renderEventsDoc());
  process.stdout.write(`wrote ${EVENTS_DOC} (${EVENT_NAMES.length} events)\n`);
}
