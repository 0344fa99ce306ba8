/**
 * The invoice export benchmark (`npm run bench:export`): EXPORT_ORDERS confirmed orders, seeded
 * with one SQL statement into a private PostgreSQL, exported by `partnerd export invoices` as a
 * child process, as an operator runs it: CSV, Excel CSV and JSON lines to a file. Measured per
 * format: wall time of the whole command (node start, connect, export, rename), the child's peak
 * RSS and CPU (reported by the child itself at exit, bench/exit-stats.mjs), and a check that the
 * file holds every order once with the ledger's exact Σ öre. Prints ONE JSON line on stdout;
 * progress on stderr.
 *
 * Target (issue 9): 100,000 confirmed orders in ≤ 10 s, the exporting process < 150 MiB RSS.
 *
 * Environment: EXPORT_ORDERS (100000), EXPORT_RUNTIME (dist: compiled with tsc into the temp dir
 * and run with plain node, as production runs bin/partnerd.js; tsx: `node --import tsx` on the
 * sources, as in a checkout), EXPORT_TIMEOUT_MS (600000).
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse';
import pg from 'pg';
import pino from 'pino';
import { stringify } from 'yaml';
import { migrate } from '../src/ledger/migrations.js';
import { startPostgres } from '../support/private-postgres.js';
import { TEST_ERASURE_KEY } from '../support/pipeline.js';
import { seedConfirmedOrders } from '../support/seed-confirmed-orders.js';
import { ChildRuntime } from './children.js';
import { intEnv, round as roundTo } from './figures.js';
import { createTeardown } from './teardown.js';

const ROOT = resolve(import.meta.dirname, '..');
const N = intEnv('EXPORT_ORDERS', 100_000);
const TIMEOUT_MS = intEnv('EXPORT_TIMEOUT_MS', 600_000);
const RUNTIME = (process.env.EXPORT_RUNTIME ?? 'dist') as 'dist' | 'tsx';
if (RUNTIME !== 'dist' && RUNTIME !== 'tsx') throw new Error('EXPORT_RUNTIME must be dist or tsx');
const TARGET = { maxSeconds: 10, maxRssMiB: 150 };
const log = (m: string) => process.stderr.write(`[export] ${m}\n`);
const round = (x: number, digits = 2) => roundTo(x, digits);
const rig = createTeardown(log, { timeoutMs: TIMEOUT_MS, timeoutName: 'EXPORT_TIMEOUT_MS' });


interface ExitStats { maxRssMiB: number; cpuMs: number; uptimeMs: number }

/** Runs `partnerd export invoices …` to a file; the child reports its own peak RSS and CPU when it exits. */
async function runExport(cmd: { cwd: string; args: string[] }, configPath: string, out: string, extra: string[], statsFile: string) {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', resolve(ROOT, 'bench/exit-stats.mjs'), ...cmd.args,
    '--config', configPath, 'export', 'invoices', '--from', '2026-11-01', '--to', '2026-11-30', '--out', out, ...extra], {
    cwd: cmd.cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EXIT_STATS_FILE: statsFile, LOG_LEVEL: 'warn' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`export exited ${code}: ${stderr}`);
  const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as ExitStats;
  return { wallMs, stats, summary: stderr.trim().split('\n').at(-1) ?? '' };
}

/** Rows and Σ total_inc_vat_ore of an exported CSV file, read as a stream. */
async function checkCsv(path: string, delimiter: string): Promise<{ rows: number; totalOre: bigint; keys: number }> {
  let rows = 0;
  let totalOre = 0n;
  const seen = new Set<string>();
  const parser = createReadStream(path).pipe(parse({ delimiter, bom: true, columns: true, record_delimiter: '\r\n' }));
  for await (const r of parser as AsyncIterable<Record<string, string>>) {
    rows++;
    totalOre += BigInt(r.total_inc_vat_ore!);
    seen.add(r.portal_order_id!);
  }
  return { rows, totalOre, keys: seen.size };
}

async function checkJsonl(path: string): Promise<{ rows: number; totalOre: bigint; keys: number }> {
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const seen = new Set<string>();
  let totalOre = 0n;
  for (const l of lines) {
    const o = JSON.parse(l) as { portalOrderId: string; totalIncVat: { ore: number } };
    seen.add(o.portalOrderId);
    totalOre += BigInt(o.totalIncVat.ore);
  }
  return { rows: lines.length, totalOre, keys: seen.size };
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'partnerd-export-bench-'));
  rig.add(() => rmSync(tmp, { recursive: true, force: true }));

  const cmd = new ChildRuntime(RUNTIME, ROOT, tmp, ['src'], log).command('src/cli/main.ts');

  const postgres = await startPostgres();
  rig.add(() => postgres.destroy());
  const database = { url: postgres.url, poolSize: 4, connectTimeoutMs: 5_000, statementTimeoutMs: 600_000 };
  await migrate(database, pino({ level: 'warn' }, pino.destination(2)));
  const db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  rig.add(() => db.end());
  let t = performance.now();
  await db.query('SET statement_timeout = 0');
  await seedConfirmedOrders(db, N);
  await db.query('VACUUM ANALYZE orders');
  const expected = (await db.query<{ n: string; total: string; bytes: string }>(
    `SELECT count(*)::text AS n, sum(sum_ore)::text AS total, pg_total_relation_size('orders')::text AS bytes FROM orders WHERE state = 'confirmed'`,
  )).rows[0]!;
  log(`seeded ${expected.n} confirmed orders in ${round((performance.now() - t) / 1000)} s (orders table ${round(Number(expected.bytes) / 2 ** 20, 1)} MiB)`);

  const configPath = join(tmp, 'partnerd.yaml');
  writeFileSync(configPath, stringify({
    database, redis: { url: 'redis://127.0.0.1:9' }, // the export does not use Redis
    tenants: { t1: { baseUrl: 'http://127.0.0.1:9/t1/', apiKey: 'unused-export-bench-key' } },
    retention: { erasureKey: TEST_ERASURE_KEY },
  }));

  const results: Record<string, unknown> = {};
  let met = true;
  for (const [name, extra, check] of [
    ['csv', [], (f: string) => checkCsv(f, ',')],
    ['excel', ['--excel'], (f: string) => checkCsv(f, ';')],
    ['jsonl', ['--format', 'jsonl'], checkJsonl],
  ] as const) {
    const out = join(tmp, `invoices-${name}`);
    t = performance.now();
    const r = await runExport(cmd, configPath, out, [...extra], join(tmp, `stats-${name}.json`));
    const verified = await check(out);
    const ok = verified.rows === Number(expected.n) && verified.keys === Number(expected.n) && verified.totalOre === BigInt(expected.total);
    if (!ok) throw new Error(`${name}: the file does not hold the ledger's orders: ${JSON.stringify({ ...verified, totalOre: String(verified.totalOre) })} vs ${JSON.stringify(expected)}`);
    const seconds = round(r.wallMs / 1000);
    const rss = round(r.stats.maxRssMiB, 1);
    met &&= seconds <= TARGET.maxSeconds && rss < TARGET.maxRssMiB;
    results[name] = { seconds, ordersPerSec: Math.round(Number(expected.n) / (r.wallMs / 1000)), peakRssMiB: rss, cpuSeconds: round(r.stats.cpuMs / 1000), fileMiB: round(readFileSync(out).length / 2 ** 20, 1), verified: true };
    log(`${name}: ${seconds} s wall, peak RSS ${rss} MiB, CPU ${round(r.stats.cpuMs / 1000)} s; ${r.summary.slice(0, 160)}`);
  }

  const pgVersion = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  process.stdout.write(`${JSON.stringify({
    date: new Date().toISOString(), orders: Number(expected.n), runtime: RUNTIME, ...results,
    targets: { ...TARGET, met }, env: { node: process.version, postgres: pgVersion },
  })}\n`);
}

main().then(() => rig.finish(), (err) => rig.abort(`failed: ${(err as Error).stack ?? err}`));
