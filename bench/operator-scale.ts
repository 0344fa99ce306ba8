/**
 * Operators at scale (`npm run bench:operator`), figures for docs/performance.md:
 *
 *   1. a ledger of BENCH_ROWS (1,000,000) synthetic orders, seeded with one INSERT … SELECT over
 *      generate_series into a private, durable PostgreSQL (fsync on): mostly confirmed, 10,000
 *      dead (with their stored order), some rejected, unroutable, queued and under review, spread
 *      over three months, and 500 in doubt that are all three months old (a listing must find
 *      them without reading the newer million);
 *   2. list and search latency through AdminService (what the CLI, the API and the console call):
 *      BENCH_QUERIES runs of each kind, p50/p95/max;
 *   3. console pages rendered server-side (Fastify inject on the admin listener's app, logged in):
 *      overview, needs attention, search, an order page;
 *   4. a bulk re-queue of the 10,000 dead orders, end to end: the ledger batches and the BullMQ jobs
 *      in a private Redis, once through AdminService and once as the operator runs it
 *      (`partnerd requeue --state dead --yes`, a new process: node + tsx start included);
 *   5. EXPLAIN (ANALYZE, BUFFERS) of the queries behind them.
 *
 * One JSON document on stdout; progress and the plans on stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { AdminService } from '../src/admin/admin-service.js';
import { createAdminServer } from '../src/admin/http/admin-server.js';
import { registerOperatorRoutes } from '../src/admin/http/operator-routes.js';
import { operator } from '../src/admin/operator.js';
import { configFromObject } from '../src/config/load-config.js';
import { createServices } from '../src/daemon/services.js';
import { pageSql } from '../src/ledger/ledger.js';
import { MOVING_STATES } from '../src/ledger/order-state.js';
import { sampleOrder } from '../support/orders.js';
import { XSD_PATH } from '../support/pipeline.js';
import { testLogger } from '../support/test-logs.js';
import { startPostgres } from '../support/private-postgres.js';
import { startRedis } from '../support/private-redis.js';
import { quantile, round } from './figures.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const PAGES = Number(process.env.BENCH_PAGES ?? 50);
const ROOT = resolve(import.meta.dirname, '..');
const TOKEN = 'bench-token-0123456789abcdef0123456789';
const log = (m: string) => process.stderr.write(`[operator-scale] ${m}\n`);
const stats = (xs: number[]) => ({ p50: round(quantile(xs, 0.5), 2), p95: round(quantile(xs, 0.95), 2), max: round(Math.max(...xs), 2), n: xs.length });

const postgres = await startPostgres({ durable: true, settings: { shared_buffers: '512MB' } });
const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), 'partnerd-bench-operator-'));
writeFileSync(join(dir, 'token'), TOKEN);
const TENANTS = ['t0', 't1', 't2', 't3'];
const raw = {
  database: { url: postgres.url, poolSize: 10 },
  redis: { url: redis.url, prefix: 'bench-op' },
  xsdPath: XSD_PATH,
  tenants: Object.fromEntries(TENANTS.map((t) => [t, { baseUrl: 'http://127.0.0.1:9/', apiKey: 'bench-key' }])),
  admin: { http: { host: '127.0.0.1', port: 0 }, tokens: [{ name: 'bench', file: join(dir, 'token') }] },
};
const configPath = join(dir, 'partnerd.yaml');
writeFileSync(configPath, stringify(raw));
const config = configFromObject(raw, configPath, {});
const { logger } = testLogger('warn', { toFile: false });
const services = await createServices(config, logger, { schema: 'run' });
const admin = new AdminService(services);
const db = new pg.Client({ connectionString: postgres.url });
await db.connect();

// ---- 1. the ledger --------------------------------------------------------------------------
log(`seeding ${ROWS} orders with generate_series …`);
let t0 = performance.now();
const payload = JSON.stringify(sampleOrder('X'));
await db.query(
  `INSERT INTO orders (key, tenant, portal, ordernr, state, received_at, updated_at, final_at, confirmed_at, attempts, payload,
                       brp_order_number, invoice_number, ocr, invoice_date, due_date, sum_ore, sum_ex_vat_ore, last_error, review, unroutable_reason)
   SELECT tenant || ':' || portal || ':' || ordernr, tenant, portal, ordernr, state, at, at + interval '3 seconds',
          CASE WHEN state IN ('confirmed', 'rejected', 'unroutable') THEN at + interval '3 seconds' END,
          CASE WHEN state = 'confirmed' THEN at + interval '3 seconds' END,
          CASE WHEN state IN ('dead') THEN 10 WHEN state IN ('queued', 'unroutable') THEN 0 ELSE 1 END,
          CASE WHEN state IN ('dead', 'rejected', 'in_doubt', 'queued') THEN jsonb_set($1::jsonb, '{ordernr}', to_jsonb(ordernr)) END,
          CASE WHEN state = 'confirmed' AND NOT review THEN (100000000 + i)::text END,
          CASE WHEN state = 'confirmed' AND NOT review THEN (500000000 + i)::text END,
          CASE WHEN state = 'confirmed' AND NOT review THEN (700000000000 + i)::text END,
          CASE WHEN state = 'confirmed' THEN (at AT TIME ZONE 'Europe/Stockholm')::date END,
          CASE WHEN state = 'confirmed' THEN (at AT TIME ZONE 'Europe/Stockholm')::date + 30 END,
          CASE WHEN state = 'confirmed' THEN 25000 + (i % 400) * 100 END,
          CASE WHEN state = 'confirmed' THEN 23585 + (i % 400) * 94 END,
          CASE WHEN state = 'dead' THEN 'HTTP 503' WHEN state = 'in_doubt' THEN 'UND_ERR_HEADERS_TIMEOUT' END,
          CASE WHEN review AND state = 'confirmed' THEN 'unparseable 2xx' END,
          CASE WHEN state = 'unroutable' THEN 'unknown venue at supplier.venueId (not in portals.benify.venues)' END
     FROM (SELECT i, CASE WHEN s = 'unroutable' THEN '~' ELSE 't' || (i % 4) END AS tenant, s AS state,
                  (ARRAY['benify', 'wellnet', 'sop', 'actiway', 'epassi'])[i % 5 + 1] AS portal, 'BENCH-' || i AS ordernr,
                  now() - (($2::int - i) * interval '8 seconds') AS at, (i % 10000 = 5) AS review
             FROM (SELECT i, CASE WHEN i % 100 = 0 THEN 'dead' WHEN i % 500 = 1 THEN 'rejected' WHEN i <= 500 THEN 'in_doubt'
                                  WHEN i % 2000 = 3 THEN 'unroutable' WHEN i % 1000 = 4 THEN 'queued' ELSE 'confirmed' END AS s
                     FROM generate_series(1, $2::int) i) g) x`,
  [payload, ROWS],
);
// Each dead order's ten failed BRP calls, for a realistic order page.
await db.query(
  `INSERT INTO attempts (order_key, n, started_at, ended_at, class, http_status, duration_ms, detail)
   SELECT o.key, n, o.received_at + n * interval '1 second', o.received_at + n * interval '1 second' + interval '20 ms', 'transient', 503, 20, 'HTTP 503'
     FROM orders o, generate_series(1, 10) n WHERE o.state = 'dead'`,
);
const seedS = (performance.now() - t0) / 1000;
t0 = performance.now();
await db.query('VACUUM ANALYZE orders');
await db.query('VACUUM ANALYZE attempts');
const counts = Object.fromEntries((await db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM orders GROUP BY state')).rows.map((r) => [r.state, r.n]));
const size = (await db.query<{ s: string }>("SELECT pg_size_pretty(pg_total_relation_size('orders')) AS s")).rows[0]!.s;
log(`seeded in ${round(seedS)} s, vacuum analyze ${round((performance.now() - t0) / 1000)} s; orders ${size}: ${JSON.stringify(counts)}`);

// ---- 2. list and search -----------------------------------------------------------------------
const pick = (i: number) => 1 + ((i * 7919) % ROWS);
const confirmedIndex = (i: number) => {
  let n = pick(i);
  while (n <= 500 || n % 100 === 0 || n % 500 === 1 || n % 2000 === 3 || n % 1000 === 4 || n % 10000 === 5) n++;
  return n;
};
const cursorPage2 = (await admin.list({ state: 'dead', limit: 50 })).nextCursor!;
const kinds: Record<string, (i: number) => Promise<unknown>> = {
  'list newest (no filter)': () => admin.list({ limit: 50 }),
  'list state=dead': () => admin.list({ state: 'dead', limit: 50 }),
  'list dead, page 2 (cursor)': () => admin.list({ state: 'dead', limit: 50, cursor: cursorPage2 }),
  'list needs attention (4 states + review)': () => admin.list({ state: 'in_doubt,dead,rejected,unroutable,review', limit: 100 }),
  'list state=in_doubt (all three months old)': () => admin.list({ state: 'in_doubt', limit: 50 }),
  'list in_doubt + unroutable, tenant=t1': () => admin.list({ state: 'in_doubt,unroutable', tenant: 't1', limit: 50 }),
  'list state=rejected tenant=t1 portal=sop': () => admin.list({ state: 'rejected', tenant: 't1', portal: 'sop', limit: 50 }),
  'list tenant=t2 (all states)': () => admin.list({ tenant: 't2', limit: 50 }),
  'list state=confirmed since/until (one day)': () => admin.list({ state: 'confirmed', since: new Date(Date.now() - 30 * 86400_000).toISOString(), until: new Date(Date.now() - 29 * 86400_000).toISOString(), limit: 50 }),
  'search by OCR': (i) => admin.find(String(700000000000 + confirmedIndex(i))),
  'search by ordernr': (i) => admin.find(`BENCH-${pick(i)}`),
  'search by BRP order number': (i) => admin.find(String(100000000 + confirmedIndex(i))),
  'search by invoice number': (i) => admin.find(String(500000000 + confirmedIndex(i))),
  'search, no match': (i) => admin.find(`NOPE-${i}`),
  'list with q= (lookup + filter)': (i) => admin.list({ q: String(700000000000 + confirmedIndex(i)), tenant: `t${confirmedIndex(i) % 4}` }),
};
const queries: Record<string, ReturnType<typeof stats>> = {};
const all: number[] = [];
for (const [name, run] of Object.entries(kinds)) {
  for (let i = 0; i < 5; i++) await run(i); // warm the connection's prepared statements
  const ms: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const s = performance.now();
    const r = await run(i + 100);
    ms.push(performance.now() - s);
    if (name.startsWith('search by') && (r as unknown[]).length !== 1) throw new Error(`${name} #${i}: ${(r as unknown[]).length} results`);
  }
  queries[name] = stats(ms);
  all.push(...ms);
  log(`${name}: ${JSON.stringify(queries[name])}`);
}

// ---- 3. console pages, server-side ---------------------------------------------------------
const app = createAdminServer({
  logger, registries: [new Registry()], stores: [], configSource: configPath, workersRunning: () => true, shuttingDown: () => false,
});
await registerOperatorRoutes(app, services);
await app.ready();
const jar = { cookie: '' };
const keep = (res: { headers: Record<string, unknown> }) => {
  const set = res.headers['set-cookie'];
  const first = Array.isArray(set) ? set[0] : set;
  if (typeof first === 'string') jar.cookie = first.split(';')[0]!;
};
const loginPage = await app.inject({ url: '/console/login' });
keep(loginPage);
const csrf = /name="_csrf" value="([^"]+)"/.exec(loginPage.body)![1]!;
const login = await app.inject({ method: 'POST', url: '/console/login', headers: { cookie: jar.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, token: TOKEN }).toString() });
if (login.statusCode !== 303) throw new Error(`login: ${login.statusCode}`);
keep(login);
const deadKey = `t0:benify:BENCH-${ROWS - (ROWS % 100)}`;
const pageUrls: Record<string, (i: number) => string> = {
  overview: () => '/console',
  'needs attention': () => '/console/attention',
  'needs attention, state=dead, tenant=t0': () => '/console/attention?state=dead&tenant=t0',
  'search by OCR (one hit → redirect)': (i) => `/console/search?q=${700000000000 + confirmedIndex(i)}`,
  'search, no match': (i) => `/console/search?q=NOPE-${i}`,
  'order page (dead, 10 attempts)': () => `/console/orders/${encodeURIComponent(deadKey)}`,
  'order page (confirmed)': (i) => `/console/orders/${encodeURIComponent(`t${confirmedIndex(i) % 4}:${['benify', 'wellnet', 'sop', 'actiway', 'epassi'][confirmedIndex(i) % 5]}:BENCH-${confirmedIndex(i)}`)}`,
};
const pagesMs: Record<string, ReturnType<typeof stats>> = {};
for (const [name, url] of Object.entries(pageUrls)) {
  for (let i = 0; i < 3; i++) await app.inject({ url: url(i), headers: { cookie: jar.cookie } });
  const ms: number[] = [];
  for (let i = 0; i < PAGES; i++) {
    const s = performance.now();
    const res = await app.inject({ url: url(i + 100), headers: { cookie: jar.cookie } });
    ms.push(performance.now() - s);
    if (res.statusCode !== 200 && res.statusCode !== 303) throw new Error(`${name}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  }
  pagesMs[name] = stats(ms);
  log(`page ${name}: ${JSON.stringify(pagesMs[name])}`);
}
await app.close();

// ---- 5. plans (before the bulk re-queue changes the dead orders) -----------------------------
async function explain(label: string, sql: string, params: readonly unknown[]): Promise<{ label: string; ms: number; plan: string }> {
  const r = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, [...params]);
  const plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
  const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
  log(`EXPLAIN ${label}\n${plan}\n`);
  return { label, ms, plan };
}
const listing = (filter: Parameters<typeof pageSql>[0]) => {
  const params: unknown[] = [];
  return [pageSql(filter, 'o.key, o.updated_at', [], params), params] as const;
};
const plans = [
  await explain('list newest', ...listing({ limit: 51 })),
  await explain('list state=dead', ...listing({ states: ['dead'], limit: 51 })),
  await explain('list state=in_doubt (all old)', ...listing({ states: ['in_doubt'], limit: 51 })),
  await explain('needs attention', ...listing({ states: ['in_doubt', 'dead', 'rejected', 'unroutable'], review: true, limit: 101 })),
  await explain('list tenant=t2', ...listing({ tenant: 't2', limit: 51 })),
  await explain('search by OCR', ...listing({ text: String(700000000000 + confirmedIndex(1)), limit: 50 })),
  await explain('requeue batch candidates (dead)', 'SELECT o.key FROM orders o WHERE o.state = ANY($1::text[]) AND o.payload IS NOT NULL AND o.updated_at < now() LIMIT 1000', [['dead']]),
  await explain('overview counts (the states that move)', 'SELECT tenant, portal, state, count(*)::int AS n FROM orders WHERE state = ANY($1::text[]) GROUP BY tenant, portal, state ORDER BY tenant, portal, state', [[...MOVING_STATES]]),
  await explain('overview counts (confirmed, rerouted: in the background)', 'SELECT tenant, portal, state, count(*)::int AS n FROM orders WHERE state = ANY($1::text[]) GROUP BY tenant, portal, state ORDER BY tenant, portal, state', [['confirmed', 'rerouted']]),
];

// ---- 4. bulk re-queue of the dead orders ---------------------------------------------------
async function resetDead(): Promise<void> {
  await db.query(`UPDATE orders SET state = 'dead', updated_at = received_at + interval '3 seconds' WHERE state = 'queued' AND last_error = 'HTTP 503'`);
  await db.query(`DELETE FROM order_actions WHERE action = 'requeue'`);
  await services.redis.flushall();
  await db.query('VACUUM ANALYZE orders');
}
const dead = counts.dead ?? 0;
log(`bulk re-queue of ${dead} dead orders through AdminService …`);
t0 = performance.now();
const inProcess = await admin.requeueMany({ state: 'dead' }, operator('bench', 'cli'), { reason: 'bench' });
const inProcessS = (performance.now() - t0) / 1000;
if (inProcess.dryRun || inProcess.requeued !== dead) throw new Error(`requeued ${JSON.stringify(inProcess).slice(0, 200)}`);
const jobs = (await Promise.all(TENANTS.map((t) => services.queues.get(t).getJobCounts('waiting')))).reduce((n, c) => n + (c.waiting ?? 0), 0);
log(`… ${inProcess.requeued} re-queued, ${jobs} jobs waiting, in ${round(inProcessS, 2)} s`);
await resetDead();
log('bulk re-queue as the operator runs it: partnerd requeue --state dead --yes …');
t0 = performance.now();
const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', configPath, '--actor', 'bench', 'requeue', '--state', 'dead', '--yes', '--reason', 'bench', '--json'], {
  cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
});
const cliS = (performance.now() - t0) / 1000;
if (cli.status !== 0) throw new Error(`cli: ${cli.stderr}`);
const cliResult = JSON.parse(cli.stdout) as { requeued: number; durationMs: number };
const cliJobs = (await Promise.all(TENANTS.map((t) => services.queues.get(t).getJobCounts('waiting')))).reduce((n, c) => n + (c.waiting ?? 0), 0);
const audit = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_actions WHERE action = 'requeue' AND actor = 'bench'`)).rows[0]!.n;
log(`… ${cliResult.requeued} re-queued (${cliJobs} jobs, ${audit} audit rows) in ${round(cliS, 2)} s wall, ${round(cliResult.durationMs / 1000, 2)} s in the command`);

console.log(JSON.stringify({
  rows: ROWS, ledgerSize: size, states: counts, seedSeconds: round(seedS),
  listAndSearchMs: { all: stats(all), byKind: queries },
  consolePageMs: pagesMs,
  bulkRequeue: {
    dead, inProcessSeconds: round(inProcessS, 2), jobsAdded: jobs,
    cli: { wallSeconds: round(cliS, 2), inCommandSeconds: round(cliResult.durationMs / 1000, 2), requeued: cliResult.requeued, jobs: cliJobs, auditRows: audit },
  },
  explainMs: Object.fromEntries(plans.map((p) => [p.label, p.ms])),
}, null, 2));

await db.end();
await services.close();
await redis.stop();
await postgres.destroy();
