import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './private-redis.js';

/**
 * A private PostgreSQL cluster for one test file (initdb + postgres in a temp dir, on a free
 * port), so a test can stop, crash or restart it without touching anyone else's database. The
 * shared server on 5432 is never used.
 *
 * Test settings by default: `fsync=off` and `full_page_writes=off` (nothing here must survive a
 * power loss); `synchronous_commit` stays on, as partnerd requires. `durable: true` keeps the
 * server's defaults, for benchmarks that must pay what production pays for a commit.
 *
 * initdb and postgres refuse to run as root: when the tests run as root (CI, containers), the
 * cluster belongs to the `postgres` system user that Debian's package creates.
 */

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:{port}/postgres` */
  url: string;
  port: number;
  /** Fast shutdown (SIGINT): sessions are ended, the data is kept. */
  stop(): Promise<void>;
  /** Immediate shutdown (SIGQUIT): like a crash; the next start recovers from the WAL. */
  crash(): Promise<void>;
  /** Starts it again on the same port, with its data. */
  restart(): Promise<void>;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
}

/** The directory with initdb and postgres: PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  throw new Error('PostgreSQL server binaries not found (install Debian\'s postgresql, or set PG_BIN)');
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // A test file that dies must not leave its cluster running.
  for (const p of running) p.kill('SIGQUIT');
});

export interface PostgresOptions {
  /** fsync and full-page writes on, as in production (default off: tests). */
  durable?: boolean;
  /** Further `-c name=value` settings (e.g. shared_preload_libraries). */
  settings?: Record<string, string>;
  /**
   * The `postgres` role's password, required over TCP (scram-sha-256) as in production; the URL
   * stays without it, as a deployment's does. Default: no password (trust).
   */
  password?: string;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const owner = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-pg-'));
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid!);
  const data = join(dir, 'data');
  let auth = ['-A', 'trust'];
  if (options.password !== undefined) {
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
    if (owner.uid !== undefined) chownSync(pwfile, owner.uid, owner.gid!);
    auth = ['--auth-host=scram-sha-256', '--auth-local=trust', `--pwfile=${pwfile}`];
  }
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', ...auth, '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'], {
    ...owner, stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let proc: ChildProcess | undefined;

  async function launch(): Promise<void> {
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1', synchronous_commit: 'on', max_connections: '200',
      ...(options.durable ? {} : { fsync: 'off', full_page_writes: 'off' }),
      ...options.settings,
    };
    const p = spawn(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ], { ...owner, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    proc = p;
    running.add(p);
    p.once('exit', () => running.delete(p));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`postgres on port ${port} exited at start: ${stderr}`);
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', password: options.password, connectionTimeoutMillis: 1_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres on port ${port} did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function signal(sig: NodeJS.Signals): Promise<void> {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    await exited;
  }

  await launch();
  return {
    url,
    port,
    stop: () => signal('SIGINT'),
    crash: () => signal('SIGQUIT'),
    restart: launch,
    async destroy() {
      await signal('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Empties the ledger's tables (the schema stays): test files that share one cluster across tests. */
export async function truncateLedger(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DO $$ BEGIN
      IF to_regclass('public.orders') IS NOT NULL THEN
        TRUNCATE orders, portal_orders, attempts, order_actions, notifications, pull_cursors RESTART IDENTITY CASCADE;
      END IF;
      IF to_regclass('public.privacy_actions') IS NOT NULL THEN
        TRUNCATE privacy_actions, ledger_settings RESTART IDENTITY;
      END IF;
    END $$`);
  } finally {
    await client.end();
  }
}
