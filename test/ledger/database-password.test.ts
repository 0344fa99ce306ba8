import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { configFromObject } from '../../src/config/load-config.js';
import { connectionOptions, createDatabase } from '../../src/ledger/database.js';
import { assertSchemaCurrent, migrate } from '../../src/ledger/migrations.js';
import { startPostgres, type PrivatePostgres } from '../../support/private-postgres.js';
import { TEST_API_KEY, TEST_ERASURE_KEY } from '../../support/pipeline.js';
import { testLogger } from '../../support/test-logs.js';

/**
 * database.passwordFile against a PostgreSQL that requires a password (scram-sha-256 over TCP, as
 * in production), with the password kept out of the URL: the migration client and the ledger's
 * pool both log in with it. A password with every character a URL would mangle.
 */
const PASSWORD = 'p@ss:w/rd%20 ü#?&=';
let server: PrivatePostgres;
let dir: string;
before(async () => {
  server = await startPostgres({ password: PASSWORD });
  dir = mkdtempSync(join(tmpdir(), 'partnerd-pgpass-'));
});
after(async () => {
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function config(password: string) {
  const file = join(dir, `pw-${password.length}`);
  writeFileSync(file, `${password}\n`);
  return configFromObject(
    { database: { url: server.url, passwordFile: file, connectTimeoutMs: 2_000 }, tenants: { t1: { baseUrl: 'http://127.0.0.1:9/t1/', apiKey: TEST_API_KEY } }, retention: { erasureKey: TEST_ERASURE_KEY } },
    join(dir, 'partnerd.yaml'), {},
  );
}

test('the password from database.passwordFile reaches PostgreSQL: migrations and the ledger pool log in', async () => {
  const cfg = config(PASSWORD);
  assert.equal(cfg.database.url, server.url, 'the URL is left as configured, without the password');
  const { logger } = testLogger('warn');
  const { applied } = await migrate(cfg.database, logger);
  assert.ok(applied.length > 0);
  const db = createDatabase(cfg.database, logger, 'partnerd-test');
  try {
    await assertSchemaCurrent(db, 'test');
    const r = await db.query<{ user: string; setting: string }>("SELECT current_user AS user, current_setting('synchronous_commit') AS setting");
    assert.deepEqual(r.rows[0], { user: 'postgres', setting: 'on' }, 'the pool\'s own options still apply');
  } finally {
    await db.end();
  }
});

test('the server really checks it: a wrong password is refused, and so is pg given the URL with the password beside it', async () => {
  const { logger } = testLogger('warn');
  await assert.rejects(migrate(config('not-the-password').database, logger), /password authentication failed/);
  // Why the URL is parsed: pg reads a connectionString over the other options, so the password
  // given beside an URL without one is dropped (the old workaround wrote it into the URL).
  const beside = new pg.Client({ connectionString: server.url, password: PASSWORD, connectionTimeoutMillis: 2_000 });
  await assert.rejects(beside.connect());
  await beside.end().catch(() => undefined);
  const parsed = new pg.Client({ ...connectionOptions(config(PASSWORD).database), connectionTimeoutMillis: 2_000 });
  await parsed.connect();
  await parsed.end();
});
