/**
 * What one scrape of /metrics costs with a big ledger (`npm run bench:scrape`): BENCH_ROWS
 * (100,000) orders are seeded through the Ledger's public API (register, beginAttempt,
 * finishAttempt, registerUnroutable, notificationDone), so the same script measures any Ledger
 * implementation. Then the admin listener is scraped BENCH_SCRAPES times with the shared-state
 * cache off (every scrape reads the ledger; the confirmed and rerouted orders come from the
 * background count, which the warm-up scrape makes and which lasts the run): wall time per scrape, CPU of this process (the
 * server side plus a small client), PostgreSQL's CPU (the postmaster and every process under
 * it), redis-server CPU and Redis calls per scrape, and each read model on its own. One JSON line on stdout; progress on stderr.
 */
import { availableParallelism } from 'node:os';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { request } from 'undici';
import { createAdminServer, listenAdminServer } from '../src/admin/http/admin-server.js';
import { configFromObject } from '../src/config/load-config.js';
import { createServices } from '../src/daemon/services.js';
import type { Portal } from '../src/domain/canonical-order.js';
import { MOVING_STATES, SETTLED_STATES, type OrderState } from '../src/ledger/order-state.js';
import { collectProcessMetrics, processRegistry } from '../src/observability/metrics.js';
import { registerStateGauges } from '../src/daemon/state-gauges.js';
import { sampleOrder } from '../support/orders.js';
import { TEST_ERASURE_KEY, XSD_PATH } from '../support/pipeline.js';
import { startPostgres } from '../support/private-postgres.js';
import { startRedis } from '../support/private-redis.js';
import { testLogger } from '../support/test-logs.js';
import { postmasterPid, procCpuUs, processTreeCpuUs, selfCpuUs } from './proc-stats.js';
import { median, quantile, round } from './figures.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const SCRAPES = Number(process.env.BENCH_SCRAPES ?? 20);
const CONCURRENCY = 64;
const log = (m: string) => process.stderr.write(`[scrape-cost] ${m}\n`);
const p95 = (xs: number[]) => quantile(xs, 0.95);

const redis = await startRedis();
const postgres = await startPostgres({ durable: true });
const admin = new Redis(redis.url);
const redisPid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
const TENANTS = ['odenplan', 'sats', 'nordic'];
const PORTALS: Portal[] = ['benify', 'actiway', 'wellnet', 'epassi', 'sop'];
const routing = { venues: { v1: { tenant: 'odenplan', businessUnit: 1 } } };
const config = configFromObject({
  database: { url: postgres.url },
  redis: { url: redis.url, prefix: 'scrape' },
  xsdPath: XSD_PATH,
  tenants: Object.fromEntries(TENANTS.map((t) => [t, { baseUrl: 'http://127.0.0.1:9/', apiKey: 'bench-key' }])),
  portals: {
    wellnet: { ...routing, baseUrl: 'http://127.0.0.1:9/', token: 'x' },
    epassi: { ...routing, baseUrl: 'http://127.0.0.1:9/', clientId: 'x', clientSecret: 'y' },
  },
  admin: { http: { host: '127.0.0.1', port: 0 } },
  retention: { erasureKey: TEST_ERASURE_KEY },
}, 'scrape-cost', {});
const { logger } = testLogger('warn');
const services = await createServices(config, logger, { schema: 'run' });
const { ledger } = services;
/** The postmaster: its processes' CPU is what a scrape costs the database. */
const postgresPid = await postmasterPid(services.database);
if (!postgresPid) throw new Error('cannot read the private PostgreSQL postmaster pid');

/** Where the seeded orders end up: mostly confirmed, as a year of production would look. */
function stateFor(i: number): OrderState {
  const r = i % 1000;
  if (r < 10) return 'rejected';
  if (r < 15) return 'dead';
  if (r < 18) return 'in_doubt';
  if (r < 23) return 'queued';
  if (r < 25) return 'retrying';
  if (r < 30) return 'unroutable';
  return 'confirmed';
}

log(`seeding ${ROWS} orders through the Ledger API (${CONCURRENCY} at a time)`);
const t0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  for (;;) {
    const i = next++;
    if (i >= ROWS) return;
    const tenant = TENANTS[i % TENANTS.length]!;
    const portal = PORTALS[i % PORTALS.length]!;
    const ordernr = `SC-${String(i).padStart(7, '0')}`;
    const state = stateFor(i);
    const at = new Date(Date.now() - (ROWS - i) * 1000);
    if (state === 'unroutable') {
      await ledger.registerUnroutable(portal, ordernr, { portal, ordernr }, 'venue not configured', at);
      continue;
    }
    const { key } = await ledger.register({ ...sampleOrder(ordernr, tenant), portal }, 'proof', { now: at });
    if (state === 'queued') continue;
    await ledger.beginAttempt(key, at);
    const attempt = { n: 1, startedAt: at.toISOString(), class: state === 'confirmed' ? 'confirmed' as const : 'transient' as const };
    await ledger.finishAttempt(key, state, attempt, state === 'confirmed' ? { brpOrderNumber: String(i), invoiceNumber: String(i), ocr: String(i), sumOre: 250_000 } : {}, { now: at, dropPayload: state === 'confirmed' });
    // Portals told long ago, except the last few hundred outcomes.
    if ((portal === 'wellnet' || portal === 'epassi') && (state === 'confirmed' || state === 'rejected') && i < ROWS - 500) await ledger.notificationDone(key, at);
  }
}));
const seedSeconds = (performance.now() - t0) / 1000;
log(`seeded in ${round(seedSeconds)} s`);

// Each read model on its own. The settled states' count is made in the background (at most
// every admin.settledCountsMaxAgeSeconds per process), not per scrape: measured here, left out of the scrapes.
const readModels: Record<string, number> = {};
for (const [name, fn] of [
  ['movingStateCounts', () => ledger.countByTenantPortalState(MOVING_STATES)],
  ['settledStateCountsInTheBackground', () => ledger.countByTenantPortalState(SETTLED_STATES)],
  ['oldestWaitingByTenant', () => ledger.oldestWaitingByTenant()],
  ['notifyBacklogByPortal', () => ledger.notifyBacklogByPortal()],
] as const) {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  readModels[`${name}Ms`] = round(median(times));
}

collectProcessMetrics();
const stateRegistry = new Registry();
registerStateGauges(stateRegistry, services, { cacheMs: 0, timeoutMs: 30_000 });
const app = createAdminServer({
  logger, registries: [processRegistry, stateRegistry], stores: [], configSource: config.source,
  workersRunning: () => true, shuttingDown: () => false,
});
const server = await listenAdminServer(app, logger, '127.0.0.1', 0);

const wall: number[] = [];
const cpu: number[] = [];
const redisCpu: number[] = [];
const postgresCpu: number[] = [];
let bytes = 0;
let calls = 0;
await request(`${server.url}/metrics`).then((r) => r.body.text()); // warm-up
await admin.config('RESETSTAT');
for (let i = 0; i < SCRAPES; i++) {
  const c0 = selfCpuUs();
  const r0 = procCpuUs(redisPid);
  const p0 = processTreeCpuUs(postgresPid);
  const s = performance.now();
  const res = await request(`${server.url}/metrics`);
  const text = await res.body.text();
  wall.push(performance.now() - s);
  cpu.push((selfCpuUs() - c0) / 1000);
  redisCpu.push((procCpuUs(redisPid) - r0) / 1000);
  postgresCpu.push((processTreeCpuUs(postgresPid) - p0) / 1000);
  bytes = text.length;
  if (!/partnerd_orders\{state="confirmed",tenant="odenplan"\} \d+/.test(text)) throw new Error('the scrape has no ledger gauges');
  await new Promise((r) => setTimeout(r, 200));
}
for (const m of (await admin.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
  if (m[1] !== 'info' && !m[1]!.startsWith('config')) calls += Number(m[2]);
}

const counts = await ledger.countByState();
const result = {
  date: new Date().toISOString(),
  rows: ROWS,
  rowsByState: Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)),
  ledger: 'postgresql',
  seedSeconds: round(seedSeconds),
  scrapes: SCRAPES,
  perScrape: {
    wallMsMedian: round(median(wall)), wallMsP95: round(p95(wall)),
    processCpuMsMedian: round(median(cpu)), postgresCpuMsMedian: round(median(postgresCpu)), redisCpuMsMedian: round(median(redisCpu)),
    redisCalls: round(calls / SCRAPES), bytes,
  },
  readModels,
  env: { node: process.version, cpus: availableParallelism() },
};
await server.close();
await services.close();
admin.disconnect();
await redis.stop();
await postgres.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
