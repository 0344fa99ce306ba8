import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { BATCH_STATEMENTS } from '../../src/ledger/ledger.js';
import { migrate } from '../../src/ledger/migrations.js';
import { startPostgres, type PrivatePostgres } from '../../support/private-postgres.js';
import { testLogger } from '../../support/test-logs.js';

/**
 * The statements that carry several orders at once (group commit, ledger/group-commit.ts) must
 * find their orders the way the one-order statements did: by key, through the primary key, a few
 * index pages per order whatever the size of the ledger. The pool prepares them once per
 * connection and PostgreSQL may then run one generic plan for ever; a plan that reads every order
 * in a state (the statistics said there were none) or the whole table costs as much as the ledger
 * is large: seen in `npm run bench`, where opening attempts grew to 13 ms a statement.
 *
 * The case that tempts the planner most: statistics taken while no order was waiting, then
 * thousands waiting (a backlog), and the generic plan forced.
 */

let postgres: PrivatePostgres;
let client: pg.Client;
const { logger } = testLogger();

before(async () => {
  postgres = await startPostgres();
  await migrate({ url: postgres.url, poolSize: 2, connectTimeoutMs: 2_000, statementTimeoutMs: 30_000 }, logger);
  client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  await client.query(`
    INSERT INTO orders (key, tenant, portal, ordernr, state, received_at, updated_at, final_at, confirmed_at, attempts, payload, brp_order_number)
    SELECT 't1:benify:' || i, 't1', 'benify', i::text, 'confirmed', now(), now(), now(), now(), 1, NULL, 'B' || i FROM generate_series(1, 20000) i`);
  await client.query(`INSERT INTO portal_orders (portal, portal_order_id, order_key) SELECT 'benify', ordernr, key FROM orders`);
  await client.query(`INSERT INTO attempts (order_key, n, started_at, ended_at, class) SELECT key, 1, now(), now(), 'confirmed' FROM orders`);
  await client.query('ANALYZE');
  // After the statistics: a backlog waiting, and calls in flight.
  await client.query(`UPDATE orders SET state = 'queued', final_at = NULL, confirmed_at = NULL WHERE ordernr::int <= 8000`);
  await client.query(`UPDATE orders SET state = 'submitting', final_at = NULL, confirmed_at = NULL WHERE ordernr::int BETWEEN 8001 AND 8400`);
});
after(async () => {
  await client?.end();
  await postgres?.destroy();
});

async function genericPlan(name: string, sql: string): Promise<string> {
  const params = Math.max(...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  await client.query(`PREPARE ${name} AS ${sql}`);
  await client.query('SET plan_cache_mode = force_generic_plan');
  try {
    const r = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${name}(${Array(params).fill('NULL').join(', ')})`);
    return r.rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.query('RESET plan_cache_mode');
    await client.query(`DEALLOCATE ${name}`);
  }
}

for (const [name, sql] of Object.entries(BATCH_STATEMENTS)) {
  test(`${name}: the generic plan reaches each order by key, never by scanning a table or a state`, async () => {
    const plan = await genericPlan(`plan_${name}`, sql);
    assert.doesNotMatch(plan, /Seq Scan on (orders|portal_orders|attempts|notifications)\b/, plan);
    assert.doesNotMatch(plan, /Bitmap (Heap|Index) Scan/, plan);
    assert.match(plan, /Index (Only )?Scan using (orders_pkey|portal_orders_pkey)/, plan);
  });
}
