import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/** The shipped observability files (deploy/observability/) and the tools that check them. */
export const OBS_DIR = resolve(import.meta.dirname, '../../deploy/observability');
export const ALERTS_FILE = join(OBS_DIR, 'prometheus/alerts.yml');
export const DASHBOARD_DIR = join(OBS_DIR, 'grafana/dashboards');

/**
 * Runs a tool from Debian's `prometheus` package. Never skipped: .ci/run installs the package,
 * so a missing tool is a broken machine, reported as a failure.
 */
export function prometheusTool(tool: 'promtool' | 'prometheus', args: string[], cwd = OBS_DIR): { status: number | null; output: string } {
  const r = spawnSync(tool, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) assert.fail(`${tool} cannot run (${(r.error as NodeJS.ErrnoException).code}): install Debian's prometheus package (apt-get install prometheus; .ci/run does)`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export interface DashboardTarget {
  dashboard: string;
  panel: string;
  datasource: 'prometheus' | 'loki';
  expr: string;
}

interface Panel {
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr?: string; datasource?: { uid?: string } }>;
  panels?: Panel[];
}

export function dashboards(): Array<{ file: string; json: { uid: string; title: string; panels: Panel[]; templating?: { list: Array<{ query?: { query?: string } | string; datasource?: { uid?: string } }> } } }> {
  return readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json')).map((file) => ({ file, json: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) }));
}

/** Every query of every panel, with the datasource it runs on. */
export function dashboardTargets(): DashboardTarget[] {
  const out: DashboardTarget[] = [];
  const walk = (dashboard: string, panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        const uid = t.datasource?.uid ?? p.datasource?.uid;
        if (t.expr && (uid === 'prometheus' || uid === 'loki')) out.push({ dashboard, panel: p.title, datasource: uid, expr: t.expr });
      }
      if (p.panels) walk(dashboard, p.panels);
    }
  };
  for (const d of dashboards()) walk(d.file, d.json.panels);
  return out;
}

/** Grafana's variables replaced by what Prometheus accepts, so promtool can check the expression. */
export function asPlainPromql(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval/g, '5m')
    .replace(/\$__range/g, '1h')
    .replace(/\$\{?(tenant|portal)\}?/g, '.*');
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless']);

/** The metric names a PromQL expression reads (identifiers that are not functions or keywords). */
export function metricNames(expr: string): string[] {
  const stripped = expr.replace(/\{[^}]*\}/g, '{}').replace(/"[^"]*"/g, '""').replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)) {
    const name = m[1]!;
    if (PROMQL_WORDS.has(name) || /^\d/.test(name) || /^(e|inf|nan)$/i.test(name)) continue;
    names.add(name);
  }
  return [...names];
}

/** The events a LogQL query filters on: `event="x"` and the alternatives of `event=~"a|b"`. */
export function logqlEvents(expr: string): string[] {
  const out: string[] = [];
  for (const m of expr.matchAll(/\bevent\s*(=~|=)\s*"([^"]+)"/g)) {
    out.push(...(m[1] === '=~' ? m[2]!.split('|').map((s) => s.replace(/\\\\\./g, '.')) : [m[2]!]));
  }
  return out;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(ALERTS_FILE, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}
