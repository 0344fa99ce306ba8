import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { benifySignature } from '../../src/ingest/http/benify-signature.js';
import type { BrpSimulator } from '../../src/simulator/index.js';
import { startSimulator, TEST_API_KEY, XSD_PATH } from '../../support/pipeline.js';
import { freePort } from '../../support/private-redis.js';
import { startStores, TEST_ERASURE_KEY, type Stores } from '../../support/pipeline.js';
import { appendTestLog } from '../../support/test-logs.js';
import { scrape, valueOf } from '../helpers/metrics-text.js';
import { alertRules, dashboardTargets, metricNames, asPlainPromql, prometheusTool } from '../helpers/observability-files.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The whole pipeline as operators see it: a real daemon process (`partnerd run`) on a private
 * Redis and the BRP simulator, orders pushed to it as Benify would, its admin listener scraped
 * directly and by a real Prometheus, and /readyz following Redis going away and coming back.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const SECRET = 'pipeline-metrics-benify-secret';
const N = 5;

let stores: Stores;
let sim: BrpSimulator;
let daemon: ChildProcess;
let adminUrl: string;
let ingestUrl: string;
const dir = mkdtempSync(join(tmpdir(), 'partnerd-pm-'));

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function get(url: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(url);
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

function push(ordernr: string, article: string): Promise<number> {
  const body = JSON.stringify({
    orderId: ordernr, placedAt: '2026-11-20T10:31:00+01:00',
    employer: { orgNumber: '556016-0680', name: 'Test Org AB' },
    employee: { firstName: 'Tessan', lastName: 'Testsson', personalIdentityNumber: '19111111-1116' },
    supplier: { venueId: 'odenplan' },
    lines: [{ articleId: article, startDate: '2026-12-01', priceInclVat: { amount: '2500.00', currency: 'SEK' } }],
  });
  const ts = String(Math.floor(Date.now() / 1000));
  return request(`${ingestUrl}/portals/benify/orders`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-benify-timestamp': ts, 'x-benify-signature': benifySignature(SECRET, ts, body) },
  }).then(async (r) => { await r.body.text(); return r.statusCode; });
}

before(async () => {
  stores = await startStores();
  sim = await startSimulator({ scriptByOrdernr: { 'PM-DOUBT': ['timeout-after-commit'] }, hangMs: 2_500 });
  const [adminPort, ingestPort] = [await freePort(), await freePort()];
  adminUrl = `http://127.0.0.1:${adminPort}`;
  ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const configPath = join(dir, 'partnerd.yaml');
  writeFileSync(configPath, stringify({
    database: { url: stores.urls.database },
    redis: { url: stores.urls.redis, prefix: 'pm' },
    retention: { erasureKey: TEST_ERASURE_KEY },
    xsdPath: XSD_PATH,
    queue: { lockDurationMs: 2_000, reconcileIntervalMs: 1_000 },
    shutdownGraceMs: 5_000,
    tenants: {
      t1: {
        baseUrl: sim.baseUrl('t1'), apiKey: '${PM_TEST_API_KEY}', rateLimit: { max: 1000, durationMs: 1000 },
        timeouts: { connectMs: 1_000, responseMs: 1_500 }, retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200, jitter: 0.2 },
        articles: { 'GYM-12M': '1001', 'GYM-99': '9999' },
      },
    },
    portals: { benify: { secret: SECRET, venues: { odenplan: { tenant: 't1', businessUnit: 1 } } } },
    ingest: { http: { host: '127.0.0.1', port: ingestPort } },
    // confirmed in partnerd_orders comes from a background count: recounted here once over 1 s old, not 30.
    admin: { http: { host: '127.0.0.1', port: adminPort }, settledCountsMaxAgeSeconds: 1 },
  }));
  daemon = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run'], {
    cwd: ROOT,
    env: { ...process.env, PARTNERD_CONFIG: configPath, PM_TEST_API_KEY: TEST_API_KEY, LOG_LEVEL: 'info', REDIS_URL: '', ADMIN_HTTP_HOST: '', ADMIN_HTTP_PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon.stdout!.on('data', (d: Buffer) => appendTestLog(d.toString()));
  daemon.stderr!.on('data', (d: Buffer) => appendTestLog(d.toString()));
  await eventually('the daemon to be ready', async () => ((await get(`${adminUrl}/readyz`)).status === 200 ? true : undefined), 60_000);

  // A scrape before any order: the background count of confirmed orders starts now, at 0, so the
  // test always meets the recount (in CI it once met it by chance, a count taken mid-burst).
  assert.equal(valueOf((await scrape(adminUrl)).families, 'partnerd_orders', { state: 'confirmed', tenant: 't1' }), 0);
  for (let i = 1; i <= N; i++) assert.equal(await push(`PM-${i}`, 'GYM-12M'), 202);
  assert.equal(await push('PM-REJ', 'GYM-99'), 202);
  assert.equal(await push('PM-DOUBT', 'GYM-12M'), 202);
});

after(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
  await sim?.close();
  await stores?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test(`${N} confirmed, 1 rejected, 1 in doubt through the real daemon: the scrape shows exactly those counts`, { timeout: 60_000 }, async () => {
  const labels = { portal: 'benify', tenant: 't1' };
  const { families } = await eventually('every order to settle', async () => {
    const s = await scrape(adminUrl);
    const f = s.families;
    const settled = valueOf(f, 'partnerd_orders_total', { ...labels, outcome: 'confirmed' }) === N
      && valueOf(f, 'partnerd_orders_total', { ...labels, outcome: 'in_doubt' }) === 1
      && valueOf(f, 'partnerd_orders_total', { ...labels, outcome: 'rejected' }) === 1;
    return settled ? s : undefined;
  });
  await sleep(2_100); // past the shared-state read's cache, so the moving states' gauges are this moment's
  // The settled count the first scrapes started may predate the last confirmation; a scrape once
  // it is over 1 s old starts a recount, which a later scrape (past the 2 s cache) shows.
  const f = await eventually('the background count to hold every confirmed order', async () => {
    const fs = (await scrape(adminUrl)).families;
    return valueOf(fs, 'partnerd_orders', { state: 'confirmed', tenant: 't1' }) === N ? fs : undefined;
  }, 15_000);
  // Counters of this process.
  assert.equal(valueOf(f, 'partnerd_orders_total', { ...labels, outcome: 'accepted' }), N + 2);
  assert.equal(valueOf(f, 'partnerd_orders_total', { ...labels, outcome: 'confirmed' }), N);
  assert.equal(valueOf(f, 'partnerd_orders_total', { ...labels, outcome: 'rejected' }), 1);
  assert.equal(valueOf(f, 'partnerd_orders_total', { ...labels, outcome: 'in_doubt' }), 1);
  assert.equal(valueOf(f, 'partnerd_orders_total', { ...labels, outcome: 'dead' }), 0);
  assert.equal(valueOf(f, 'partnerd_confirmed_amount_ore_total', labels), N * 250_000);
  assert.equal(valueOf(f, 'partnerd_ingest_requests_total', { portal: 'benify', status: '202' }), N + 2);
  assert.equal(valueOf(f, 'partnerd_brp_request_duration_seconds_count', { tenant: 't1', class: 'confirmed' }), N);
  assert.equal(valueOf(f, 'partnerd_brp_request_duration_seconds_count', { tenant: 't1', class: 'rejected' }), 1);
  assert.equal(valueOf(f, 'partnerd_brp_request_duration_seconds_count', { tenant: 't1', class: 'in_doubt' }), 1);
  assert.ok(valueOf(f, 'partnerd_brp_request_duration_seconds_sum', { tenant: 't1', class: 'in_doubt' }) >= 1.4, 'the in-doubt call waited for the response timeout');
  // Gauges from the ledger.
  // confirmed: N, waited for above.
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'rejected', tenant: 't1' }), 1);
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'in_doubt', tenant: 't1' }), 1);
  assert.equal(valueOf(f, 'partnerd_orders', { state: 'queued', tenant: 't1' }), 0);
  assert.equal(valueOf(f, 'partnerd_oldest_waiting_order_age_seconds', { tenant: 't1' }), 0);
  assert.equal(valueOf(f, 'partnerd_tenant_paused', { tenant: 't1', reason: 'none' }), 0);
  assert.equal(families.get('partnerd_orders_total')!.samples.some((s) => s.labels.outcome === 'confirmed' && s.value === N), true);
});

test('every metric the dashboards and alert rules name exists on the daemon\'s /metrics', async () => {
  const { families } = await scrape(adminUrl);
  const exposed = new Set<string>();
  for (const [name, f] of families) {
    exposed.add(name);
    for (const s of f.samples) exposed.add(s.name);
  }
  const exprs = [
    ...dashboardTargets().filter((t) => t.datasource === 'prometheus').map((t) => ({ where: `${t.dashboard}: ${t.panel}`, expr: asPlainPromql(t.expr) })),
    ...alertRules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  ];
  let checked = 0;
  for (const { where, expr } of exprs) {
    for (const name of metricNames(expr)) {
      if (name === 'up' || name === 'time' || name === 'absent') continue; // Prometheus' own
      assert.ok(exposed.has(name), `${where} names ${name}, which is not on /metrics`);
      checked++;
    }
  }
  assert.ok(checked >= 30, `${checked} metric references checked`);
});

test('a real Prometheus scrapes the daemon and answers PromQL over its HTTP API', { timeout: 90_000 }, async (t) => {
  const port = await freePort();
  const promDir = join(dir, 'prometheus');
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [{ job_name: 'partnerd', static_configs: [{ targets: [new URL(adminUrl).host] }] }],
  }));
  assert.equal(prometheusTool('promtool', ['check', 'config', config]).status, 0);
  prometheusTool('prometheus', ['--version']); // fails the test (not skips) when prometheus is missing
  const prom = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${promDir}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  prom.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  t.after(async () => {
    if (prom.exitCode === null) {
      prom.kill('SIGTERM');
      await new Promise((r) => prom.once('exit', r));
    }
  });
  const query = async (q: string) => {
    const r = await get(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
    const data = r.json.data as { result: Array<{ metric: Record<string, string>; value: [number, string] }> } | undefined;
    return data?.result;
  };
  const confirmed = await eventually(`Prometheus to scrape the daemon (${stderr.slice(-300)})`, async () => {
    const result = await query('sum by (portal, tenant) (partnerd_orders_total{outcome="confirmed"})');
    return result && result.length === 1 ? result[0] : undefined;
  }, 60_000);
  assert.deepEqual(confirmed.metric, { portal: 'benify', tenant: 't1' });
  assert.equal(Number(confirmed.value[1]), N);
  const inDoubt = await query('max by (tenant) (partnerd_orders{state="in_doubt"})');
  assert.equal(Number(inDoubt?.[0]?.value[1]), 1);
  const up = await query('up{job="partnerd"}');
  assert.equal(up?.[0]?.value[1], '1');
});

test('/readyz turns 503 (naming Redis) when the store stops, and 200 again once it is back', { timeout: 90_000 }, async () => {
  assert.equal((await get(`${adminUrl}/readyz`)).status, 200);
  await stores.redis.stop();
  const down = await eventually('/readyz 503', async () => {
    const r = await get(`${adminUrl}/readyz`);
    return r.status === 503 ? r.json : undefined;
  });
  assert.equal(down.status, 'not ready');
  assert.match(String(down.reason), /^redis: /);
  // /healthz is about the process, not its stores: still alive.
  assert.equal((await get(`${adminUrl}/healthz`)).status, 200);
  // /metrics still answers: the process metrics, and partnerd_shared_state_up 0.
  await sleep(2_100);
  const { families } = await scrape(adminUrl);
  assert.equal(valueOf(families, 'partnerd_shared_state_up', {}), 0);
  assert.ok(families.has('process_cpu_seconds_total'));

  await stores.redis.restart();
  await eventually('/readyz 200 again', async () => ((await get(`${adminUrl}/readyz`)).status === 200 ? true : undefined), 60_000);
});

test('/readyz turns 503 (naming PostgreSQL) when the ledger stops, and 200 again once it is back', { timeout: 90_000 }, async () => {
  assert.equal((await get(`${adminUrl}/readyz`)).status, 200);
  await stores.postgres.stop();
  const down = await eventually('/readyz 503', async () => {
    const r = await get(`${adminUrl}/readyz`);
    return r.status === 503 ? r.json : undefined;
  });
  assert.match(String(down.reason), /^postgres: /);
  assert.equal((await get(`${adminUrl}/healthz`)).status, 200);
  await stores.postgres.restart();
  await eventually('/readyz 200 again', async () => ((await get(`${adminUrl}/readyz`)).status === 200 ? true : undefined), 60_000);
});
