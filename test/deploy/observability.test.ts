import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { EVENTS } from '../../src/observability/events.js';
import {
  alertRules, asPlainPromql, dashboards, dashboardTargets, logqlEvents, OBS_DIR, prometheusTool,
} from '../helpers/observability-files.js';

/**
 * The observability that ships with partnerd (deploy/observability/, the compose profile), checked
 * with Prometheus' own tooling: the config and the rules are valid, every alert fires from
 * synthetic series, every PromQL expression of the dashboards parses, every event a LogQL query
 * names exists. (That every metric they name exists on /metrics is checked against a running
 * daemon in test/observability/pipeline-metrics.test.ts.)
 */
const ROOT = resolve(import.meta.dirname, '../..');

test('promtool: the Prometheus config and the alert rules are valid', () => {
  const config = prometheusTool('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
  assert.equal(config.status, 0, config.output);
  assert.match(config.output, /SUCCESS: 1 rule files found/);
  const rules = prometheusTool('promtool', ['check', 'rules', 'prometheus/alerts.yml']);
  assert.equal(rules.status, 0, rules.output);
  assert.match(rules.output, new RegExp(`SUCCESS: ${alertRules().length} rules found`));
});

test('promtool test rules: every alert fires from synthetic series (and stays quiet before)', () => {
  const run = prometheusTool('promtool', ['test', 'rules', 'alerts.test.yml'], join(OBS_DIR, 'prometheus'));
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, /SUCCESS/);
  // Each rule has a case where it fires and one where it does not.
  const tests = parse(readFileSync(join(OBS_DIR, 'prometheus/alerts.test.yml'), 'utf8')) as {
    tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
  };
  const cases = tests.tests.flatMap((t) => t.alert_rule_test);
  for (const rule of alertRules()) {
    assert.ok(cases.some((c) => c.alertname === rule.alert && (c.exp_alerts?.length ?? 0) > 0), `${rule.alert} is shown to fire`);
    assert.ok(cases.some((c) => c.alertname === rule.alert && (c.exp_alerts?.length ?? 0) === 0), `${rule.alert} is shown not to fire`);
  }
});

test('the issue\'s alerts are all there, and each has a runbook naming a partnerd command that exists', () => {
  const names = alertRules().map((r) => r.alert);
  for (const required of ['PartnerdOrderInDoubt', 'PartnerdOrderDead', 'PartnerdTenantPaused', 'PartnerdPortalStopped', 'PartnerdOldestWaitingOrder', 'PartnerdPollStale', 'PartnerdBrpLatencyHigh', 'PartnerdDaemonDown']) {
    assert.ok(names.includes(required), `${required} is defined`);
  }
  const cli = readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8');
  const commands = new Set([...cli.matchAll(/\.command\('([a-z-]+)/g)].map((m) => m[1]!));
  assert.ok(commands.has('resume-portal') && commands.has('requeue'));
  for (const rule of alertRules()) {
    const runbook = rule.annotations?.runbook ?? '';
    const named = [...runbook.matchAll(/`partnerd ([a-z-]+)/g)].map((m) => m[1]!);
    assert.ok(named.length > 0, `${rule.alert}: the runbook names a partnerd command: ${runbook}`);
    for (const c of named) assert.ok(commands.has(c), `${rule.alert}: partnerd ${c} exists`);
    assert.ok(rule.annotations?.summary, `${rule.alert} has a summary`);
    assert.match(rule.labels?.severity ?? '', /^(critical|warning)$/);
  }
});

test('every PromQL expression of the dashboards is valid PromQL (promtool, as recording rules)', () => {
  const prom = dashboardTargets().filter((t) => t.datasource === 'prometheus');
  assert.ok(prom.length >= 15, `${prom.length} expressions`);
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-dash-'));
  const file = join(dir, 'dashboard-expressions.yml');
  writeFileSync(file, stringify({
    groups: [{ name: 'dashboards', rules: prom.map((t, i) => ({ record: `dashboard:expr_${i}`, expr: asPlainPromql(t.expr) })) }],
  }));
  const run = prometheusTool('promtool', ['check', 'rules', file]);
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, new RegExp(`SUCCESS: ${prom.length} rules found`));
  // The check can fail: a broken expression is refused.
  writeFileSync(file, stringify({ groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum by (portal (partnerd_orders_total)' }] }] }));
  assert.notEqual(prometheusTool('promtool', ['check', 'rules', file]).status, 0);
});

test('the dashboards: order flow and needs attention with the panels the issue asks for; LogQL events exist in the catalogue', () => {
  const byUid = Object.fromEntries(dashboards().map((d) => [d.json.uid, d.json]));
  const titles = (uid: string) => byUid[uid]!.panels.map((p) => p.title.toLowerCase()).join(' | ');
  const flow = titles('partnerd-order-flow');
  for (const want of ['orders per portal and outcome', 'confirmations', 'invoiced sek', 'backlog', 'oldest waiting', 'latency p50 / p95 / p99', 'retries and throttles']) {
    assert.ok(flow.includes(want), `order flow has "${want}": ${flow}`);
  }
  const attention = titles('partnerd-needs-attention');
  for (const want of ['in doubt', 'dead', 'rejected by brp code', 'unroutable', 'paused tenants', 'stopped portals', 'notify backlog']) {
    assert.ok(attention.includes(want), `needs attention has "${want}": ${attention}`);
  }
  const loki = dashboardTargets().filter((t) => t.datasource === 'loki');
  assert.ok(loki.some((t) => t.expr.includes('| json | event="order.rejected"')));
  const named = loki.flatMap((t) => logqlEvents(t.expr));
  assert.ok(named.length >= 8);
  for (const e of named) assert.ok(e in EVENTS, `LogQL names ${e}, which is not in the event catalogue`);
  // The shared-state gauges are aggregated with max, never summed across replicas.
  for (const t of dashboardTargets().filter((x) => x.datasource === 'prometheus')) {
    assert.doesNotMatch(t.expr, /sum[^(]*\((?:[^()]|\([^()]*\))*\b(partnerd_orders|partnerd_queue_jobs|partnerd_notify_backlog|partnerd_oldest_waiting_order_age_seconds)\{/, `${t.panel}: shared gauges are not summed across replicas`);
  }
});

test('compose profile observability: pinned images, the shipped files mounted, Prometheus scrapes the admin listener, datasources match the dashboards', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { image?: string; profiles?: string[]; volumes?: string[]; ports?: string[]; environment?: Record<string, string> }>;
  };
  for (const name of ['prometheus', 'loki', 'promtail', 'grafana']) {
    const s = compose.services[name]!;
    assert.deepEqual(s.profiles, ['observability'], `${name} is in the observability profile`);
    assert.match(s.image ?? '', /:v?\d+\.\d+\.\d+$/, `${name}'s image version is pinned`);
    for (const v of s.volumes ?? []) {
      const src = v.split(':')[0]!;
      if (src.startsWith('./')) assert.ok(existsSync(join(ROOT, src)), `${name} mounts ${src}, which exists`);
    }
    for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `${name} is published on loopback only`);
  }
  const partnerd = compose.services.partnerd!;
  assert.equal(partnerd.environment?.ADMIN_HTTP_HOST, '0.0.0.0', 'the admin listener is reachable on the compose network');
  assert.ok(!(partnerd.ports ?? []).some((p) => p.includes('8081')), 'the admin listener is never published');
  const prom = parse(readFileSync(join(OBS_DIR, 'prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
  const job = prom.scrape_configs.find((j) => j.job_name === 'partnerd')!;
  assert.deepEqual(job.static_configs[0]!.targets, ['partnerd:8081']);
  const ds = parse(readFileSync(join(OBS_DIR, 'grafana/provisioning/datasources/datasources.yml'), 'utf8')) as { datasources: Array<{ uid: string; url: string }> };
  assert.deepEqual(ds.datasources.map((d) => d.uid).sort(), ['loki', 'prometheus']);
  for (const t of dashboardTargets()) assert.ok(['prometheus', 'loki'].includes(t.datasource));
});
