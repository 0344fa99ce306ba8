import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createDatabase, type Database } from '../../src/ledger/database.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { migrate } from '../../src/ledger/migrations.js';
import { Reconciler } from '../../src/queue/reconciler.js';
import { TenantQueues } from '../../src/queue/tenant-queues.js';
import { testConfig } from '../../support/pipeline.js';
import { startPostgres, truncateLedger, type PrivatePostgres } from '../../support/private-postgres.js';
import { startRedis, type PrivateRedis } from '../../support/private-redis.js';
import { testLogger } from '../../support/test-logs.js';

/**
 * The reconciler's pace, against a private PostgreSQL and Redis: a periodic pass checks at most
 * `ordersPerSec` live orders a second (in a large backlog a pass at full speed took both cores
 * from the drain); a pass for a Redis that lost its data is never paced, and makes a paced pass in
 * progress go on at full speed. What a pass repairs is covered end to end by the crash, FLUSHALL
 * and replica tests (test/integration).
 */
let postgres: PrivatePostgres;
let redis: PrivateRedis;
let db: Database;
let ledger: Ledger;
let connection: Redis;
let queues: TenantQueues;
const { logger } = testLogger();

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const config = testConfig({ redis: redis.url, database: postgres.url }, 'http://127.0.0.1:9/');
  await migrate(config.database, logger);
  db = createDatabase(config.database, logger);
  ledger = Ledger.fromDatabase(db, postgres.url);
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  queues = new TenantQueues(config, connection);
});
after(async () => {
  await Promise.all(queues.tenants().map((t) => queues.get(t).close()));
  connection.disconnect();
  await db.end();
  await Promise.all([postgres.destroy(), redis.stop()]);
});
beforeEach(async () => {
  await truncateLedger(postgres.url);
  await connection.flushall();
});

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * `n` orders of `tenant` in `state`, changed an hour ago, with no job: what a lost Redis leaves.
 * They share one received_at, with PostgreSQL's microseconds (the walk's cursor must keep them).
 */
async function ordersWithoutJobs(n: number, options: { tenant?: string; state?: string; prefix?: string } = {}): Promise<string[]> {
  const { tenant = 't1', state = 'queued', prefix = 'R' } = options;
  const rows = await sql<{ key: string }>(
    `INSERT INTO orders (key, tenant, portal, ordernr, state, received_at, updated_at)
     SELECT $2 || ':benify:' || $4 || '-' || lpad(i::text, 6, '0'), $2, 'benify', $4 || '-' || lpad(i::text, 6, '0'), $3,
            date_trunc('second', now()) - interval '1 hour' + interval '0.000123 second', now() - interval '1 hour'
       FROM generate_series(1, $1::int) i RETURNING key`, [n, tenant, state, prefix]);
  return rows.map((row) => row.key);
}
const liveOrdersWithoutJobs = (n: number) => ordersWithoutJobs(n);

async function withJobs(keys: string[]): Promise<number> {
  return (await queues.pendingJobs('t1', keys)).size;
}

test('a periodic pass is paced at ordersPerSec; it still gives every live order a job', async () => {
  const keys = await liveOrdersWithoutJobs(1_500);
  // Most have their job already (checking them is cheap: the time is the pace's, not the work's).
  for (const key of keys.slice(0, 1_400)) await queues.enqueue(key, 't1');
  const reconciler = new Reconciler(ledger, queues, logger, { minAgeMs: 2_000, ordersPerSec: 500 });
  const started = Date.now();
  assert.equal(await reconciler.runOnce('periodic'), 100);
  const took = Date.now() - started;
  // Three batches of 500 at 500 a second: the third may start no earlier than 2 s in.
  assert.ok(took >= 1_950, `a paced pass over 1,500 orders at 500/s took ${took} ms`);
  assert.equal(await withJobs(keys), 1_500);
});

test('a pass after Redis lost its data is not paced, and speeds up a paced pass in progress', async () => {
  const keys = await liveOrdersWithoutJobs(1_500);
  // Paced at 100 a second the periodic pass would take 15 s.
  const reconciler = new Reconciler(ledger, queues, logger, { minAgeMs: 2_000, ordersPerSec: 100 });
  const started = Date.now();
  const periodic = reconciler.runOnce('periodic');
  // Wait until the first batch has its jobs (the pass now sleeps), then lose Redis' data.
  while (await withJobs(keys.slice(0, 500)) < 500) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await withJobs(keys.slice(500)), 0, 'the paced pass is sleeping after its first batch');
  await connection.flushall();
  const urgent = reconciler.runOnce('redis data lost');
  // Both calls share the pass in progress plus one more at full speed: every order has a job again.
  const [a, b] = await Promise.all([periodic, urgent]);
  const took = Date.now() - started;
  assert.equal(a, b);
  assert.equal(await withJobs(keys), 1_500);
  assert.ok(took < 8_000, `the urgent pass waited for the paced one's pace: ${took} ms`);
});

test('stop() ends a paced pass at its next step', async () => {
  const keys = await liveOrdersWithoutJobs(1_500);
  const reconciler = new Reconciler(ledger, queues, logger, { minAgeMs: 2_000, ordersPerSec: 100 });
  const pass = reconciler.runOnce('periodic');
  while (await withJobs(keys.slice(0, 500)) < 500) await new Promise((r) => setTimeout(r, 20));
  const started = Date.now();
  reconciler.stop();
  assert.equal(await pass, 500);
  assert.ok(Date.now() - started < 3_000);
  assert.equal(await withJobs(keys.slice(500)), 0, 'no batch after stop()');
});

test('a pass reaches every live order once, past final orders and other tenants, on one received_at', async () => {
  await ordersWithoutJobs(1_200, { state: 'confirmed', prefix: 'DONE' });
  await ordersWithoutJobs(700, { tenant: 't0' }); // a tenant no longer configured: walked past, left alone
  const live = [...await ordersWithoutJobs(1_100), ...await ordersWithoutJobs(200, { state: 'retrying', prefix: 'RT' })];
  const reconciler = new Reconciler(ledger, queues, logger, { minAgeMs: 2_000, ordersPerSec: 0 });
  assert.equal(await reconciler.runOnce('start'), 1_300);
  assert.equal(await withJobs(live), 1_300);
  assert.equal(await reconciler.runOnce('start'), 0, 'a second pass finds every live order with its job');
});

test('an order that finished between the batch being read and its job being looked at is not queued again', async () => {
  const keys = await liveOrdersWithoutJobs(300);
  const finished = keys.slice(0, 100);
  // The worker finishes the first 100 right after the reconciler read its batch (their jobs were
  // removed on completion, so Redis has none for them either).
  const racing = Object.create(ledger) as Ledger;
  racing.liveOrders = async (options) => {
    const batch = await ledger.liveOrders(options);
    await sql(`UPDATE orders SET state = 'confirmed' WHERE key = ANY($1::text[])`, [finished]);
    return batch;
  };
  const reconciler = new Reconciler(racing, queues, logger, { minAgeMs: 2_000, ordersPerSec: 0 });
  assert.equal(await reconciler.runOnce('start'), 200);
  assert.equal(await withJobs(finished), 0, 'no job for a finished order');
  assert.equal(await withJobs(keys.slice(100)), 200);
});
