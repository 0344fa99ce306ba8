import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { Logger } from 'pino';
import { logEvent } from '../observability/log-event.js';
import type { Config } from '../config/schema.js';
import { PartnerdError } from '../errors.js';
import { urlAddress } from '../observability/mask.js';

/**
 * The PostgreSQL pool the ledger runs on. Every session commits synchronously
 * (`synchronous_commit = on`, whatever the server's default): "accepted" is only said once the
 * order is on disk (and on a synchronous standby, where one is configured).
 */

export type Database = pg.Pool;
/** A pool, or one client holding a transaction: what a ledger runs its statements on. */
export type Queryable = Pick<pg.Pool, 'query'>;

/** OIDs of the types we read differently from pg's defaults. */
const INT8_OID = 20;
const DATE_OID = 1082;

/**
 * Money columns are bigint (öre): read them as numbers (exact far beyond any order's amount).
 * Dates are calendar dates in Stockholm: read them as the `YYYY-MM-DD` text they are, never as a
 * JavaScript Date at UTC midnight.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return (v: string) => Number(v);
    if (oid === DATE_OID) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Where and as whom to connect: the URL parsed into pg's options, with the password from
 * database.passwordFile over any in the URL. pg reads `connectionString` over the other options,
 * and a URL without a password parses to an empty one: `{ connectionString, password }` would
 * connect without the password. So the URL is parsed here and never given to pg as such.
 */
export function connectionOptions(config: Config['database']): pg.ClientConfig {
  const parsed = parseIntoClientConfig(config.url);
  return config.password !== undefined ? { ...parsed, password: config.password } : parsed;
}

export function createDatabase(config: Config['database'], logger: Logger, purpose = 'partnerd'): Database {
  const pool = new pg.Pool({
    ...connectionOptions(config),
    max: config.poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: purpose,
    statement_timeout: config.statementTimeoutMs,
    idle_in_transaction_session_timeout: config.statementTimeoutMs * 2,
    options: '-c synchronous_commit=on',
    types,
  });
  // An idle client whose server went away (restart, failover) must not crash the process: the
  // pool drops it and the next query connects again.
  pool.on('error', (err) => {
    logEvent(logger, 'database.connection_lost', { code: (err as { code?: string }).code, reason: err.message });
  });
  return pool;
}

/** `host:port` of the database, for messages (never the password or the whole URL). */
export function databaseAddress(url: string): string {
  return urlAddress(url, '5432', 'the configured database');
}

/** Connection-level failures: the server is down, restarting, unreachable or full. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '25006', // read_only_sql_transaction: a standby after a failover, before the new primary is reached
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof PartnerdError) return err.code === 'PD_DATABASE_UNAVAILABLE';
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  // pg's own messages for a connection that broke or could not be made in time.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(message);
}

/** Wraps a connection failure as PD_DATABASE_UNAVAILABLE; anything else is re-thrown as is. */
export function asLedgerError(err: unknown, address: string): unknown {
  if (err instanceof PartnerdError || !isDatabaseUnavailable(err)) return err;
  const code = (err as { code?: unknown }).code;
  return new PartnerdError('PD_DATABASE_UNAVAILABLE', `cannot reach PostgreSQL at ${address}`, { code: typeof code === 'string' ? code : undefined });
}
