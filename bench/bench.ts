/**
 * partnerd throughput and CPU benchmark (`npm run bench`). Prints ONE JSON line on stdout;
 * progress and diagnostics go to stderr. See docs/performance.md for the methodology.
 *
 * All on one private redis-server, one private PostgreSQL (fsync on, as in production; with
 * pg_stat_statements, to count the ledger's statements per order) and one in-process BRP simulator:
 *   intake only    N × services.intake.accept() with no consumer: intake CPU µs/order, clean.
 *   partnerd       the daemon (`node --import tsx src/cli/main.ts run`) in a child process, with
 *                  metrics on: its admin listener runs and the bench scrapes /metrics every
 *                  BENCH_SCRAPE_MS, as Prometheus would (ledger gauges included). The bench submits
 *                  N orders through intake.accept() and waits until the ledger says all are
 *                  `confirmed`. Daemon CPU from /proc/<pid>/stat over that window.
 *   nometrics      the same daemon with `admin.http.enabled: false` (no listener, no scrapes,
 *                  nothing recorded): the throughput the metrics must stay within 5 % of.
 *   bare BullMQ    bench/bare-worker.ts in a child process: plain Queue/Worker, one undici POST of a
 *                  pre-built document per job. Same concurrency, same Redis, same simulator.
 * Both children stay up; after a warm-up of each, BENCH_ROUNDS rounds alternate a partnerd window
 * and a bare window (the order flips every round), so background load on the machine hits both
 * alike. Each window is followed by a "drain" window: N jobs queued while the queue is paused,
 * then released, which measures the worker alone. Reported figures are medians over the rounds.
 *
 * Environment:
 *   BENCH_ORDERS (2000)  BENCH_WARMUP (2000: V8 needs thousands of jobs to reach steady state)  BENCH_CONCURRENCY (16)  BENCH_SUBMIT_CONCURRENCY (16)
 *   BENCH_TIMEOUT_MS (300000): whole-run bound; on expiry everything is torn down, exit 1.
 *   BENCH_CPU_PROF=<dir>: run both children with --cpu-prof into <dir>/partnerd and <dir>/bare and
 *     print the measured windows (CLOCK_MONOTONIC µs); the intake-only window of the bench process
 *     itself is profiled into <dir>/intake. Summarise with bench/profile-summary.ts.
 *   BENCH_BARE_LIMITER=1: give the bare worker the same BullMQ rate limiter as the daemon.
 *   BENCH_ROUNDS (3): alternating measured rounds.  BENCH_PHASES (intake,partnerd,nometrics,bare): run fewer.
 *   BENCH_SCRAPE_MS (1000): how often /metrics of the metrics-on daemon is scraped (Prometheus' default is 15 s).
 *   BENCH_STEP_TIMEOUT_MS (120000): bound on any one wait.  BENCH_KEEP_TMP=1: keep logs and config.
 *   BENCH_RUNTIME (tsx): `tsx` runs both children with `node --import tsx` on the sources; `dist`
 *     compiles src/ and bench/bare-worker.ts with tsc into the temp dir (never into the repo) and
 *     runs them with plain node, as production does (bin/partnerd.js → dist/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { request } from 'undici';
import { stringify } from 'yaml';
import { partnerOrderUrl, withApiKey } from '../src/brp/endpoint.js';
import { OrderDocumentFactory } from '../src/brp/order-document.js';
import { XsdValidator } from '../src/brp/xsd-validator.js';
import { configFromObject } from '../src/config/load-config.js';
import { createServices, type Services } from '../src/daemon/services.js';
import { validateOrder } from '../src/domain/validate-order.js';
import { createLogger } from '../src/observability/logger.js';
import type { BrpSimulator } from '../src/simulator/index.js';
import { startSimulator, TEST_API_KEY, TEST_ERASURE_KEY, XSD_PATH } from '../support/pipeline.js';
import { sampleOrderInput } from '../support/orders.js';
import { startRedis, type PrivateRedis } from '../support/private-redis.js';
import { startPostgres, truncateLedger } from '../support/private-postgres.js';
import { migrate } from '../src/ledger/migrations.js';
import pg from 'pg';
import { machineBusyUs, postmasterPid, monotonicUs, procCpuUs, procPeakRssMiB, processTreeCpuUs, selfCpuUs } from './proc-stats.js';
import { ChildRuntime, childEnv, runPool, stopChild, waitFor as waitUntil } from './children.js';
import { intEnv, median, round } from './figures.js';
import { createTeardown } from './teardown.js';

const ROOT = resolve(import.meta.dirname, '..');

const N = intEnv('BENCH_ORDERS', 2000);
const WARMUP = intEnv('BENCH_WARMUP', 2000);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 16);
const SUBMIT_CONCURRENCY = intEnv('BENCH_SUBMIT_CONCURRENCY', 16);
const TIMEOUT_MS = intEnv('BENCH_TIMEOUT_MS', 300_000);
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;
const BARE_LIMITER = process.env.BENCH_BARE_LIMITER === '1';
const RUNTIME = process.env.BENCH_RUNTIME ?? 'tsx';
if (RUNTIME !== 'tsx' && RUNTIME !== 'dist') throw new Error('BENCH_RUNTIME must be tsx or dist');
const ROUNDS = intEnv('BENCH_ROUNDS', 3);
const PHASES = new Set((process.env.BENCH_PHASES ?? 'intake,partnerd,nometrics,bare').split(',').map((s) => s.trim()));
const SCRAPE_MS = intEnv('BENCH_SCRAPE_MS', 1_000);
const RATE_LIMIT = { max: 100_000, durationMs: 1_000 };
const API_KEY_ENV = 'PARTNERD_BENCH_API_KEY';
/** The largest wait for any one step (warm-up drain, measured drain, child start). */
const STEP_TIMEOUT_MS = Math.min(TIMEOUT_MS, intEnv('BENCH_STEP_TIMEOUT_MS', 120_000));

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

// ---------------------------------------------------------------- teardown and helpers

const rig = createTeardown(log, { timeoutMs: TIMEOUT_MS, timeoutName: 'BENCH_TIMEOUT_MS' });
const abort = rig.abort;
/** Any one wait of the bench is bounded by BENCH_STEP_TIMEOUT_MS. */
const waitFor = (what: string, check: () => Promise<boolean> | boolean, opts: { pollMs?: number; child?: ChildProcess } = {}) =>
  waitUntil(what, check, { timeoutMs: STEP_TIMEOUT_MS, ...opts });

interface Snapshot {
  t: number; // monotonic µs
  childCpuUs: number;
  benchCpuUs: number;
  redisCpuUs: number;
  /** PostgreSQL's postmaster and all its processes (backends, WAL writer, checkpointer, autovacuum). */
  postgresCpuUs: number;
  machineBusyUs: number;
}

/** Redis calls per command since the last CONFIG RESETSTAT (INFO commandstats). */
async function redisCalls(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await admin.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Calls per order (the bench's own INFO/CONFIG left out; the poller's reads are subtracted by the caller). */
function perOrder(calls: Record<string, number>, n: number): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [cmd, c] of Object.entries(calls).sort((a, b) => b[1] - a[1])) {
    if (cmd === 'info' || cmd.startsWith('config')) continue;
    byCommand[cmd] = round(c / n, 2);
    total += c;
  }
  return { total: round(total / n, 2), byCommand };
}

function snapshot(childPid: number, redisPid: number): Snapshot {
  return {
    t: monotonicUs(), childCpuUs: procCpuUs(childPid), benchCpuUs: selfCpuUs(), redisCpuUs: procCpuUs(redisPid),
    postgresCpuUs: processTreeCpuUs(postgresPid), machineBusyUs: machineBusyUs(),
  };
}

/**
 * CPU cores used on average during the window by processes that are not the bench's (other jobs
 * on the machine): the machine's busy time minus the child's, the bench's, redis-server's and
 * PostgreSQL's.
 * Throughput figures from a window with a large value here are not comparable.
 */
function otherLoadCores(a: Snapshot, b: Snapshot): number {
  const ours = (b.childCpuUs - a.childCpuUs) + (b.benchCpuUs - a.benchCpuUs) + (b.redisCpuUs - a.redisCpuUs) + (b.postgresCpuUs - a.postgresCpuUs);
  return round(Math.max(0, (b.machineBusyUs - a.machineBusyUs) - ours) / (b.t - a.t), 2);
}

// ---------------------------------------------------------------- setup

const tmp = mkdtempSync(join(tmpdir(), 'partnerd-bench-'));
if (process.env.BENCH_KEEP_TMP !== '1') rig.add(() => rmSync(tmp, { recursive: true, force: true }));
log(`orders=${N} warmup=${WARMUP} concurrency=${CONCURRENCY} submitConcurrency=${SUBMIT_CONCURRENCY} tmp=${tmp}`);

const childRuntime = new ChildRuntime(RUNTIME, ROOT, tmp, ['src', 'bench/bare-worker.ts'], log);
const childCommand = (entry: 'src/cli/main.ts' | 'bench/bare-worker.ts') => childRuntime.command(entry);

const redis: PrivateRedis = await startRedis();
rig.add(async () => {
  // SHUTDOWN on SIGTERM is quick; SIGKILL if it is not gone in 10 s (it shares our stderr, so a
  // leftover redis-server would keep a caller's pipe open).
  const timer = setTimeout(() => void redis.kill(), 10_000);
  await redis.stop();
  clearTimeout(timer);
});
const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
rig.add(async () => { await admin.quit().catch(() => admin.disconnect()); });
const redisInfo = await admin.info('server');
const redisPid = Number(/process_id:(\d+)/.exec(redisInfo)?.[1]);
const redisVersion = /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? 'unknown';
if (!redisPid) await abort('cannot read the private redis-server pid');

const sim: BrpSimulator = await startSimulator();
const postgres = await startPostgres({ durable: true, settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'top' } });
rig.add(() => postgres.destroy());
const databaseConfig = { url: postgres.url, poolSize: 20, connectTimeoutMs: 5_000, statementTimeoutMs: 30_000 };
await migrate(databaseConfig, pino({ level: 'warn' }, pino.destination(2)));
const pgAdmin = new pg.Client({ connectionString: postgres.url });
await pgAdmin.connect();
rig.add(() => pgAdmin.end());
await pgAdmin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
// The metrics-off daemon gets a ledger of its own: with one shared ledger each daemon's reconciler
// would queue the other's orders, and both would count each other's confirmations.
await pgAdmin.query('CREATE DATABASE bench_nometrics');
const nometricsDatabaseConfig = { ...databaseConfig, url: postgres.url.replace(/\/postgres$/, '/bench_nometrics') };
await migrate(nometricsDatabaseConfig, pino({ level: 'warn' }, pino.destination(2)));
const postgresVersion = String((await pgAdmin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version);
/** The postmaster: its processes' CPU is PostgreSQL's share of the cost. */
const postgresPid = await postmasterPid(pgAdmin);
if (!postgresPid) await abort('cannot read the private PostgreSQL postmaster pid');

/** The bench's own queries (polling the confirmed count, reading these statistics): not per-order work. */
const BENCH_QUERY = /pg_stat_statements|GROUP BY state|^(BEGIN|COMMIT|SELECT \$1)$/i;

/**
 * SQL statements per order since the last reset, from pg_stat_statements (the bench's own left
 * out), with each statement's server time per call (µs) and the WAL it wrote per order (bytes):
 * what an order costs PostgreSQL, statement by statement.
 */
interface SqlFigures { total: number; byStatement: Record<string, number>; execUsPerCall: Record<string, number>; walBytesPerOrder: number }
async function sqlStatements(n: number): Promise<SqlFigures> {
  const rows = (await pgAdmin.query<{ query: string; calls: string; exec_ms: number; wal_bytes: string }>(
    `SELECT query, calls, total_exec_time + total_plan_time AS exec_ms, wal_bytes FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  )).rows;
  const byStatement: Record<string, number> = {};
  const execMs: Record<string, number> = {};
  const callsByName: Record<string, number> = {};
  let total = 0;
  let wal = 0;
  for (const r of rows) {
    const text = r.query.replace(/\s+/g, ' ').trim();
    if (BENCH_QUERY.test(text)) continue;
    const calls = Number(r.calls);
    total += calls;
    wal += Number(r.wal_bytes);
    const name = /^WITH (\w+) AS \(\s*(\w+ \w+)/i.exec(text)?.slice(1).join(':') ?? text.slice(0, 48);
    byStatement[name] = round((byStatement[name] ?? 0) + calls / n, 2);
    execMs[name] = (execMs[name] ?? 0) + Number(r.exec_ms);
    callsByName[name] = (callsByName[name] ?? 0) + calls;
  }
  const execUsPerCall = Object.fromEntries(Object.entries(execMs).filter(([k]) => callsByName[k]! > 0).map(([k, ms]) => [k, round((ms * 1000) / callsByName[k]!)]));
  return { total: round(total / n, 2), byStatement, execUsPerCall, walBytesPerOrder: round(wal / n, 0) };
}
rig.add(() => sim.close());
const baseUrl = sim.baseUrl('t1');

/** The config both the daemon child (as YAML) and the bench's own services use. */
function rawConfig(prefix: string, metrics = true): Record<string, unknown> {
  return {
    database: metrics ? databaseConfig : nometricsDatabaseConfig,
    redis: { url: redis.url, prefix },
    // Metrics on: the admin listener on a free loopback port (found in the daemon's log). Off: no listener, nothing recorded.
    admin: { http: { enabled: metrics, host: '127.0.0.1', port: 0 } },
    xsdPath: XSD_PATH,
    log: { level: 'info' },
    // Production defaults for locks and retention. The reconciler's periodic pass (default every 60 s)
    // is moved out of the run: it is a background sweep, not per-order work, and would land in a
    // random window (it runs once at daemon start, before the warm-up).
    queue: { lockDurationMs: 30_000, maxStalledCount: 10, keepCompletedSeconds: 0, reconcileIntervalMs: 600_000 },
    shutdownGraceMs: 10_000,
    retention: { erasureKey: TEST_ERASURE_KEY },
    tenants: {
      t1: {
        baseUrl,
        apiKey: `\${${API_KEY_ENV}}`,
        concurrency: CONCURRENCY,
        connections: CONCURRENCY,
        rateLimit: RATE_LIMIT,
        timeouts: { connectMs: 5_000, responseMs: 30_000 },
        retry: { attempts: 3, baseDelayMs: 500, maxDelayMs: 5_000, jitter: 0.2 },
      },
    },
  };
}

async function benchServices(prefix: string, logFile: string, metrics = true): Promise<Services> {
  const config = configFromObject(rawConfig(prefix, metrics), 'bench-config', { [API_KEY_ENV]: TEST_API_KEY });
  // Intake logs order.accepted per order, as ingest would in production: to a file, synchronously (pino's default for stdout).
  const logger = createLogger({ level: 'info' }, pino.destination({ dest: logFile, sync: true }));
  return createServices(config, logger);
}

const inputs = (tag: string, n: number) => Array.from({ length: n }, (_, i) => sampleOrderInput(`${tag}-${String(i).padStart(6, '0')}`));

async function acceptAll(services: Services, batch: Array<Record<string, unknown>>): Promise<void> {
  await runPool(batch.length, SUBMIT_CONCURRENCY, async (i) => {
    const r = await services.intake.accept(batch[i]);
    if (r.status !== 'accepted') throw new Error(`order ${i} not accepted: ${JSON.stringify(r)}`);
  });
}

/** The bench process's own CPU profile (inspector), for the intake-only window. */
async function startSelfProfile(): Promise<{ stop(dir: string): Promise<string> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  return {
    async stop(dir: string) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `intake-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

// ---------------------------------------------------------------- phase 1: intake only

interface IntakeResult { cpuUsPerOrder: number; ordersPerSec: number }

async function intakePhase(): Promise<IntakeResult> {
  log('intake-only: submitting with no consumer');
  const services = await benchServices('ibench', join(tmp, 'intake-only.log'));
  try {
    await acceptAll(services, inputs('IW', WARMUP));
    const batch = inputs('IM', N);
    const profiler = CPU_PROF_DIR ? await startSelfProfile() : undefined;
    const cpu0 = selfCpuUs();
    const t0 = monotonicUs();
    await acceptAll(services, batch);
    const t1 = monotonicUs();
    const cpu1 = selfCpuUs();
    if (profiler) log(`intake-only: profile written to ${await profiler.stop(join(CPU_PROF_DIR!, 'intake'))}`);
    const r = { cpuUsPerOrder: round((cpu1 - cpu0) / N), ordersPerSec: round(N / ((t1 - t0) / 1e6)) };
    log(`intake-only: ${JSON.stringify(r)}`);
    return r;
  } finally {
    await services.close();
    // Neither the jobs nor the orders (the daemon's reconciler would queue them) are for the next phase.
    await admin.flushall();
    await truncateLedger(postgres.url);
  }
}

// ---------------------------------------------------------------- the two sides

type SideName = 'partnerd' | 'nometrics' | 'bare';

/** One side of the comparison: a worker child and the bench's way to feed and watch it. */
interface Side {
  name: SideName;
  child: ChildProcess;
  /** Orders/jobs that must be finished once everything submitted so far is done. */
  expected: number;
  submit(tag: string, n: number): Promise<void>;
  /**
   * How many are finished (confirmed / completed): one Redis read (bare); partnerd's
   * `order.confirmed` lines in its log, read as they are appended. Counting in the ledger instead
   * took PostgreSQL on the same 2 cores away from the side it measured: a count of the orders
   * table every 50 ms (~20 ms each, growing with the table) was about 0.4 of a core. The ledger
   * itself is checked once the window is over (`check`).
   */
  finished(): Promise<number>;
  /** How often `finished` is asked. */
  pollMs: number;
  /** Takes the poller's own reads out of the command counts. */
  uncount(calls: Record<string, number>, polls: number): void;
  /** Throws if anything failed (rejected/dead/in-doubt/retrying orders, failed jobs). */
  check(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  logFile: string;
  close(): Promise<void>;
}

function spawnChild(entry: 'src/cli/main.ts' | 'bench/bare-worker.ts', extraArgs: string[], env: Record<string, string>, logFile: string, profName: string, stdout: 'file' | 'pipe'): ChildProcess {
  const cmd = childCommand(entry);
  const profArgs = CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', join(CPU_PROF_DIR, profName), '--cpu-prof-interval', '250'] : [];
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...profArgs, ...cmd.args, ...extraArgs], {
    cwd: cmd.cwd,
    env: childEnv(env),
    stdio: ['ignore', stdout === 'file' ? fd : 'pipe', fd],
  });
  closeSync(fd);
  rig.add(() => stopChild(child));
  return child;
}

/** Scrapes /metrics every SCRAPE_MS, as Prometheus would; counts scrapes and failures. */
const scrapeStats = { scrapes: 0, failures: 0, bytes: 0, totalMs: 0 };
function startScraper(adminUrl: string): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    const t0 = performance.now();
    request(`${adminUrl}/metrics`)
      .then(async (res) => {
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
        scrapeStats.scrapes++;
        scrapeStats.bytes = text.length;
        scrapeStats.totalMs += performance.now() - t0;
      })
      .catch(() => { scrapeStats.failures++; })
      .finally(() => { busy = false; });
  }, SCRAPE_MS);
  return () => clearInterval(timer);
}

/**
 * Counts the lines holding `needle` in a file being appended to, reading only what was added
 * since the last call (a line cut by a read is completed by the next).
 */
function logLineCounter(file: string, needle: string): () => number {
  let offset = 0;
  let count = 0;
  let tail = '';
  const buf = Buffer.alloc(1 << 20);
  const decoder = new StringDecoder('utf8'); // a character cut by a read is completed by the next
  return () => {
    const fd = openSync(file, 'r');
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n === 0) break;
        offset += n;
        const lines = (tail + decoder.write(buf.subarray(0, n))).split('\n');
        tail = lines.pop()!;
        for (const line of lines) if (line.includes(needle)) count++;
      }
    } finally {
      closeSync(fd);
    }
    return count;
  };
}

async function startPartnerd(name: 'partnerd' | 'nometrics'): Promise<Side> {
  const metrics = name === 'partnerd';
  const prefix = metrics ? 'pbench' : 'nbench';
  const configPath = join(tmp, `${name}.yaml`);
  writeFileSync(configPath, stringify(rawConfig(prefix, metrics)));
  const logFile = join(tmp, `${name}-daemon.log`);
  const child = spawnChild('src/cli/main.ts', ['run'], { PARTNERD_CONFIG: configPath, [API_KEY_ENV]: TEST_API_KEY }, logFile, name, 'file');
  const services = await benchServices(prefix, join(tmp, `${name}-intake-e2e.log`), metrics);
  rig.add(() => services.close());
  await waitFor(`${name} daemon start`, () => readFileSync(logFile, 'utf8').includes('"event":"daemon.started"'), { pollMs: 50, child });
  let stopScraper = () => undefined as void;
  if (metrics) {
    const port = /"event":"admin\.listening".*?"port":(\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
    if (!port) throw new Error(`no admin.listening line in ${logFile}`);
    stopScraper = startScraper(`http://127.0.0.1:${port}`);
    rig.add(stopScraper);
  }
  const queue = services.queues.get('t1');
  const confirmations = logLineCounter(logFile, '"event":"order.confirmed"');
  const side: Side = {
    name, child, expected: 0, logFile,
    submit: (tag, n) => acceptAll(services, inputs(tag, n)),
    finished: async () => confirmations(),
    pollMs: 10,
    uncount: () => undefined, // it reads its log, not Redis
    async check() {
      const c = await services.ledger.countByState();
      const bad = (c.rejected ?? 0) + (c.dead ?? 0) + (c.in_doubt ?? 0) + (c.retrying ?? 0);
      if (bad > 0) throw new Error(`orders did not go through cleanly: ${JSON.stringify(c)} (see ${logFile})`);
      if ((c.confirmed ?? 0) < side.expected) throw new Error(`the log says ${side.expected} confirmed, the ledger ${c.confirmed ?? 0} (see ${logFile})`);
    },
    pause: () => queue.pause(),
    resume: () => queue.resume(),
    async close() {
      stopScraper();
      await stopChild(child);
      if (child.exitCode !== 0) log(`${name}: daemon exited with ${child.exitCode ?? child.signalCode} (log: ${logFile})`);
      await services.close();
    },
  };
  return side;
}

async function startBare(): Promise<Side> {
  const prefix = 'bbench';
  const queueName = 'bare';
  // A valid createpartnerorder document, rendered once by partnerd's own code.
  const v = validateOrder(sampleOrderInput('BARE-1'), { personnummerForm: 'short' });
  if (!v.ok) throw new Error(`sample order invalid: ${JSON.stringify(v.errors)}`);
  const xml = new OrderDocumentFactory(XsdValidator.fromFile(XSD_PATH)).render(v.order);
  const xmlFile = join(tmp, 'bare-order.xml');
  writeFileSync(xmlFile, xml);
  const target = withApiKey(partnerOrderUrl(baseUrl, 'benify'), TEST_API_KEY);
  const logFile = join(tmp, 'bare-worker.log');
  const child = spawnChild('bench/bare-worker.ts', [], {
    BARE_REDIS_URL: redis.url,
    BARE_PREFIX: prefix,
    BARE_QUEUE: queueName,
    BARE_TARGET_URL: target.href,
    BARE_XML_FILE: xmlFile,
    BARE_CONCURRENCY: String(CONCURRENCY),
    BARE_CONNECTIONS: String(CONCURRENCY),
    ...(BARE_LIMITER ? { BARE_LIMITER_MAX: String(RATE_LIMIT.max), BARE_LIMITER_MS: String(RATE_LIMIT.durationMs) } : {}),
  }, logFile, 'bare', 'pipe');
  let ready = false;
  child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) ready = true; });
  const connection = new Redis(redis.url, { maxRetriesPerRequest: 3 });
  const queue = new Queue(queueName, { connection, prefix });
  const closeQueue = async () => { await queue.close(); await connection.quit().catch(() => connection.disconnect()); };
  rig.add(closeQueue);
  await waitFor('bare worker start', () => ready, { pollMs: 20, child });
  const jobOpts = { attempts: 1, removeOnComplete: { age: 3_600 }, removeOnFail: { age: 3_600 } };
  // The job carries a canonical order, the same size as partnerd's job data; the worker ignores it.
  const payload = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ ...v.order, ordernr: `${tag}-${i}` }));
  const completedKey = `${prefix}:${queueName}:completed`;
  return {
    name: 'bare', child, expected: 0, logFile,
    async submit(tag, n) {
      const batch = payload(tag, n);
      await runPool(n, SUBMIT_CONCURRENCY, async (i) => { await queue.add('createpartnerorder', batch[i], jobOpts); });
    },
    // ZCARD on the completed set directly: one plain command per poll, easy to leave out of the counts.
    finished: () => admin.zcard(completedKey),
    pollMs: 10,
    uncount: (calls, polls) => { calls.zcard = (calls.zcard ?? 0) - polls; },
    async check() {
      const failed = await queue.getFailedCount();
      if (failed > 0) throw new Error(`${failed} bare jobs failed (see ${logFile})`);
    },
    pause: () => queue.pause(),
    resume: () => queue.resume(),
    async close() {
      await stopChild(child);
      await closeQueue();
    },
  };
}

// ---------------------------------------------------------------- windows

interface WindowResult {
  ordersPerSec: number;
  submitMs: number;
  totalMs: number;
  childCpuUsPerOrder: number;
  benchProcCpuUsPerOrder: number;
  redisCpuUsPerOrder: number;
  postgresCpuUsPerOrder: number;
  redisCalls: { total: number; byCommand: Record<string, number> };
  sql?: SqlFigures;
  otherLoadCores: number;
  drainOrdersPerSec: number;
  drainCpuUsPerOrder: number;
  drainOtherLoadCores: number;
}

async function settle(side: Side, what: string, onPoll?: () => void): Promise<void> {
  await waitFor(`${side.name} ${what}`, async () => {
    onPoll?.();
    return (await side.finished()) >= side.expected;
  }, { child: side.child, pollMs: side.pollMs });
}

async function warmUp(side: Side): Promise<void> {
  log(`${side.name}: pid ${side.child.pid}; warming up with ${WARMUP}`);
  await side.submit('W', WARMUP);
  side.expected += WARMUP;
  await settle(side, 'warm-up');
  await side.check();
}

async function measure(side: Side, r: number): Promise<WindowResult> {
  const pid = side.child.pid!;
  // End to end: submit N and wait for the last one to finish.
  await admin.config('RESETSTAT');
  await pgAdmin.query('SELECT pg_stat_statements_reset()');
  const s0 = snapshot(pid, redisPid);
  await side.submit(`M${r}`, N);
  side.expected += N;
  const tSubmitted = monotonicUs();
  let polls = 0;
  await settle(side, 'window', () => polls++);
  const s1 = snapshot(pid, redisPid);
  const calls = await redisCalls();
  side.uncount(calls, polls);
  const sql = side.name === 'partnerd' ? await sqlStatements(N) : undefined;
  await side.check();
  if (CPU_PROF_DIR) log(`${side.name} round ${r}: profile window (CLOCK_MONOTONIC µs): --from ${s0.t} --to ${s1.t}`);

  // Drain: N queued while the queue is paused, then released: the worker alone.
  await side.pause();
  await side.submit(`D${r}`, N);
  side.expected += N;
  const d0 = snapshot(pid, redisPid);
  await side.resume();
  await settle(side, 'drain');
  const d1 = snapshot(pid, redisPid);
  await side.check();

  const w: WindowResult = {
    ordersPerSec: round(N / ((s1.t - s0.t) / 1e6)),
    submitMs: round((tSubmitted - s0.t) / 1e3, 0),
    totalMs: round((s1.t - s0.t) / 1e3, 0),
    childCpuUsPerOrder: round((s1.childCpuUs - s0.childCpuUs) / N),
    benchProcCpuUsPerOrder: round((s1.benchCpuUs - s0.benchCpuUs) / N),
    redisCpuUsPerOrder: round((s1.redisCpuUs - s0.redisCpuUs) / N),
    postgresCpuUsPerOrder: round((s1.postgresCpuUs - s0.postgresCpuUs) / N),
    redisCalls: perOrder(calls, N),
    ...(sql ? { sql } : {}),
    otherLoadCores: otherLoadCores(s0, s1),
    drainOrdersPerSec: round(N / ((d1.t - d0.t) / 1e6)),
    drainCpuUsPerOrder: round((d1.childCpuUs - d0.childCpuUs) / N),
    drainOtherLoadCores: otherLoadCores(d0, d1),
  };
  log(`${side.name} round ${r}: ${JSON.stringify(w)}`);
  return w;
}

/** Medians over the rounds, field by field (the command breakdown is the last round's). */
function summarise(ws: WindowResult[]): WindowResult {
  const m = (f: (w: WindowResult) => number) => round(median(ws.map(f)), 2);
  return {
    ordersPerSec: m((w) => w.ordersPerSec),
    submitMs: m((w) => w.submitMs),
    totalMs: m((w) => w.totalMs),
    childCpuUsPerOrder: m((w) => w.childCpuUsPerOrder),
    benchProcCpuUsPerOrder: m((w) => w.benchProcCpuUsPerOrder),
    redisCpuUsPerOrder: m((w) => w.redisCpuUsPerOrder),
    postgresCpuUsPerOrder: m((w) => w.postgresCpuUsPerOrder),
    redisCalls: ws[ws.length - 1]!.redisCalls,
    ...(ws[ws.length - 1]!.sql ? { sql: ws[ws.length - 1]!.sql } : {}),
    otherLoadCores: m((w) => w.otherLoadCores),
    drainOrdersPerSec: m((w) => w.drainOrdersPerSec),
    drainCpuUsPerOrder: m((w) => w.drainCpuUsPerOrder),
    drainOtherLoadCores: m((w) => w.drainOtherLoadCores),
  };
}

// ---------------------------------------------------------------- run

const startedAt = new Date();
let intake: IntakeResult | undefined;
const windows: Record<SideName, WindowResult[]> = { partnerd: [], nometrics: [], bare: [] };
const peakRss: Record<string, number> = {};
try {
  if (PHASES.has('intake')) intake = await intakePhase();
  const sides: Side[] = [];
  if (PHASES.has('partnerd')) sides.push(await startPartnerd('partnerd'));
  if (PHASES.has('nometrics')) sides.push(await startPartnerd('nometrics'));
  if (PHASES.has('bare')) sides.push(await startBare());
  for (const side of sides) await warmUp(side);
  for (let r = 1; r <= ROUNDS; r++) {
    for (const side of r % 2 === 1 ? sides : [...sides].reverse()) windows[side.name].push(await measure(side, r));
  }
  for (const side of sides) {
    peakRss[side.name] = round(procPeakRssMiB(side.child.pid!));
    await side.close();
  }
} catch (err) {
  await abort((err as Error).stack ?? String(err));
}
await rig.finish();

const p = windows.partnerd.length > 0 ? summarise(windows.partnerd) : undefined;
const off = windows.nometrics.length > 0 ? summarise(windows.nometrics) : undefined;
// Metrics on against off, round by round (the two windows of a round run back to back).
const metricsRatios = windows.partnerd.map((w, i) => windows.nometrics[i] && round(w.ordersPerSec / windows.nometrics[i]!.ordersPerSec, 3)).filter((x): x is number => typeof x === 'number');
const metricsDrainRatios = windows.partnerd.map((w, i) => windows.nometrics[i] && round(w.drainOrdersPerSec / windows.nometrics[i]!.drainOrdersPerSec, 3)).filter((x): x is number => typeof x === 'number');
const metricsRatio = metricsRatios.length > 0 ? round(median(metricsRatios), 3) : null;
// Daemon CPU per order, on over off: throughput on a shared machine swings with other load, CPU much less.
const metricsCpuRatios = windows.partnerd.map((w, i) => windows.nometrics[i] && round(w.childCpuUsPerOrder / windows.nometrics[i]!.childCpuUsPerOrder, 3)).filter((x): x is number => typeof x === 'number');
const b = windows.bare.length > 0 ? summarise(windows.bare) : undefined;
const pairs = windows.partnerd.map((w, i) => [w, windows.bare[i]] as const).filter((x): x is readonly [WindowResult, WindowResult] => x[1] !== undefined);
const ratios = pairs.map(([pw, bw]) => round(pw.ordersPerSec / bw.ordersPerSec, 3));
const drainRatios = pairs.map(([pw, bw]) => round(pw.drainOrdersPerSec / bw.drainOrdersPerSec, 3));
const ratio = ratios.length > 0 ? round(median(ratios), 3) : null;
const targets = { ratioMin: 0.5, cpuUsMax: 200, sqlPerOrderMax: 6, redisCallsPerOrderMax: 40 };
const result = {
  date: startedAt.toISOString(),
  orders: N,
  warmup: WARMUP,
  rounds: ROUNDS,
  concurrency: CONCURRENCY,
  submitConcurrency: SUBMIT_CONCURRENCY,
  runtime: RUNTIME,
  partnerd: p && {
    ordersPerSec: p.ordersPerSec,
    daemonCpuUsPerOrder: p.childCpuUsPerOrder,
    intakeCpuUsPerOrder: intake?.cpuUsPerOrder ?? null,
    intakeOnlyOrdersPerSec: intake?.ordersPerSec ?? null,
    peakRssMiB: peakRss.partnerd ?? null,
    submitMs: p.submitMs,
    totalMs: p.totalMs,
    benchProcCpuUsPerOrder: p.benchProcCpuUsPerOrder,
    redisCpuUsPerOrder: p.redisCpuUsPerOrder,
    postgresCpuUsPerOrder: p.postgresCpuUsPerOrder,
    redisCallsPerOrder: p.redisCalls.total,
    sqlStatementsPerOrder: p.sql?.total ?? null,
    sqlByStatement: p.sql?.byStatement ?? null,
    sqlExecUsPerCall: p.sql?.execUsPerCall ?? null,
    walBytesPerOrder: p.sql?.walBytesPerOrder ?? null,
    drainOrdersPerSec: p.drainOrdersPerSec,
    drainDaemonCpuUsPerOrder: p.drainCpuUsPerOrder,
    otherLoadCores: p.otherLoadCores,
  },
  bare: b && {
    jobsPerSec: b.ordersPerSec,
    cpuUsPerJob: b.childCpuUsPerOrder,
    peakRssMiB: peakRss.bare ?? null,
    submitMs: b.submitMs,
    totalMs: b.totalMs,
    benchProcCpuUsPerJob: b.benchProcCpuUsPerOrder,
    redisCpuUsPerJob: b.redisCpuUsPerOrder,
    redisCallsPerJob: b.redisCalls.total,
    drainJobsPerSec: b.drainOrdersPerSec,
    drainCpuUsPerJob: b.drainCpuUsPerOrder,
    otherLoadCores: b.otherLoadCores,
    limiter: BARE_LIMITER,
  },
  metricsOff: off && {
    ordersPerSec: off.ordersPerSec,
    daemonCpuUsPerOrder: off.childCpuUsPerOrder,
    drainOrdersPerSec: off.drainOrdersPerSec,
    drainDaemonCpuUsPerOrder: off.drainCpuUsPerOrder,
    peakRssMiB: peakRss.nometrics ?? null,
    otherLoadCores: off.otherLoadCores,
  },
  /** Throughput with metrics on (listener + scrapes) over metrics off: median of the rounds; target ≥ 0.95. */
  metricsRatio,
  metricsRatios,
  metricsDrainRatio: metricsDrainRatios.length > 0 ? round(median(metricsDrainRatios), 3) : null,
  metricsCpuRatio: metricsCpuRatios.length > 0 ? round(median(metricsCpuRatios), 3) : null,
  metricsCpuRatios,
  scrapes: { intervalMs: SCRAPE_MS, count: scrapeStats.scrapes, failures: scrapeStats.failures, lastBytes: scrapeStats.bytes, meanMs: scrapeStats.scrapes > 0 ? round(scrapeStats.totalMs / scrapeStats.scrapes) : null },
  ratio,
  ratios,
  drainRatio: drainRatios.length > 0 ? round(median(drainRatios), 3) : null,
  targets: {
    ...targets,
    ratioMet: ratio !== null ? ratio >= targets.ratioMin : null,
    cpuMet: p ? p.childCpuUsPerOrder <= targets.cpuUsMax : null,
    sqlMet: p?.sql ? p.sql.total <= targets.sqlPerOrderMax : null,
    redisMet: p ? p.redisCalls.total <= targets.redisCallsPerOrderMax : null,
    metricsRatioMin: 0.95,
    metricsMet: metricsRatio !== null ? metricsRatio >= 0.95 : null,
  },
  env: { node: process.version, redis: redisVersion, postgres: postgresVersion, cpus: availableParallelism() },
};
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
