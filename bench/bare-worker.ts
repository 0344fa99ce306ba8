/**
 * The bare BullMQ baseline worker for bench/bench.ts, run as a child process so its CPU time and
 * peak RSS can be read from /proc exactly like the daemon's.
 *
 * One BullMQ Worker on one Redis connection (as the daemon has), whose processor does one undici
 * POST of a pre-built, valid order document to the simulator over a keep-alive Pool, reads the
 * body, and returns. Nothing else: no ledger, no validation, no rendering, no logging.
 *
 * Environment (all set by bench.ts):
 *   BARE_REDIS_URL, BARE_PREFIX, BARE_QUEUE   where the jobs are
 *   BARE_TARGET_URL                            full URL incl. ?apikey=
 *   BARE_XML_FILE                              the body to POST
 *   BARE_CONCURRENCY, BARE_CONNECTIONS         worker concurrency, Pool connections
 *   BARE_LIMITER_MAX, BARE_LIMITER_MS          optional BullMQ rate limiter (off when unset)
 *
 * Prints `ready` on stdout once the worker is connected; exits 0 on SIGTERM after closing.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Pool } from 'undici';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`bare-worker: ${name} is not set`);
  return v;
}

const target = new URL(env('BARE_TARGET_URL'));
const path = target.pathname + target.search;
const xml = readFileSync(env('BARE_XML_FILE'), 'utf8');
const concurrency = Number(env('BARE_CONCURRENCY'));
const connections = Number(env('BARE_CONNECTIONS'));
const limiterMax = process.env.BARE_LIMITER_MAX ? Number(process.env.BARE_LIMITER_MAX) : undefined;
const limiterMs = process.env.BARE_LIMITER_MS ? Number(process.env.BARE_LIMITER_MS) : 1000;

const pool = new Pool(target.origin, {
  connections,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 120_000,
  pipelining: 1,
});

const connection = new Redis(env('BARE_REDIS_URL'), { maxRetriesPerRequest: null });
connection.on('error', () => undefined);

const worker = new Worker(
  env('BARE_QUEUE'),
  async () => {
    const res = await pool.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/xml; charset=utf-8', accept: 'application/xml' },
      body: xml,
    });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
    return 'ok';
  },
  {
    connection,
    prefix: env('BARE_PREFIX'),
    concurrency,
    autorun: false,
    ...(limiterMax ? { limiter: { max: limiterMax, duration: limiterMs } } : {}),
  },
);
worker.on('error', (err) => process.stderr.write(`bare-worker error: ${err.message}\n`));
worker.on('failed', (_job, err) => process.stderr.write(`bare-worker job failed: ${err.message}\n`));

let stopping = false;
process.once('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await worker.close();
    await pool.close();
    await connection.quit().catch(() => connection.disconnect());
    process.exit(0);
  })();
});

void worker.run();
await worker.waitUntilReady();
process.stdout.write('ready\n');
