import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from 'pino';
import { logEvent } from '../observability/log-event.js';
import type { Config } from '../config/schema.js';
import { PartnerdError } from '../errors.js';
import { asLedgerError, connectionOptions, databaseAddress } from './database.js';

/**
 * The ledger's schema, as SQL files in `migrations/` run by node-pg-migrate. Every daemon start
 * and `partnerd migrate` runs them; the runner takes a PostgreSQL advisory lock and waits for it
 * (`advisoryLockMode: 'wait'`), so replicas starting at once apply each migration exactly once:
 * the first one migrates, the others wait and then find nothing to do.
 */

export const MIGRATIONS_DIR = resolve(import.meta.dirname, '../../migrations');
export const MIGRATIONS_TABLE = 'pgmigrations';

export interface MigrationResult {
  /** Migrations applied by this call (empty when the schema was current). */
  applied: string[];
}

export async function migrate(database: Config['database'], logger: Logger): Promise<MigrationResult> {
  const client = new pg.Client({
    ...connectionOptions(database),
    connectionTimeoutMillis: database.connectTimeoutMs,
    application_name: 'partnerd-migrate',
  });
  const address = databaseAddress(database.url);
  try {
    await client.connect();
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      singleTransaction: true,
      advisoryLockMode: 'wait',
      checkOrder: true,
      // Its chatter goes to debug; what was applied is logged once below.
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: (m: string) => logEvent(logger, 'database.migration_warning', { reason: m }),
        error: (m: string) => logEvent(logger, 'database.migration_error', { reason: m }),
      },
    });
    const names = applied.map((m) => m.name);
    if (names.length > 0) logEvent(logger, 'database.migrated', { applied: names });
    return { applied: names };
  } catch (err) {
    throw asLedgerError(err, address);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The migrations shipped with this build, oldest first (file names without `.sql`). */
export function shippedMigrations(): string[] {
  return readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();
}

/**
 * For commands that do not migrate (everything but `run` and `migrate`): refuse to work on a
 * schema that is older than this build, with the command that fixes it.
 */
export async function assertSchemaCurrent(db: Pick<pg.Pool, 'query'>, address: string): Promise<void> {
  let done: Set<string>;
  try {
    const r = await db.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
    done = new Set(r.rows.map((row) => row.name));
  } catch (err) {
    if ((err as { code?: unknown }).code === '42P01') done = new Set(); // no migrations table yet
    else throw asLedgerError(err, address);
  }
  const missing = shippedMigrations().filter((m) => !done.has(m));
  if (missing.length > 0) {
    throw new PartnerdError('PD_DATABASE_SCHEMA_OUTDATED', `the database at ${address} lacks ${missing.length} migration(s); run: partnerd migrate`);
  }
}
