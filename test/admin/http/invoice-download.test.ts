import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { request } from 'undici';
import { stockholmDateOf } from '../../../src/domain/stockholm-date.js';
import { MAX_CONCURRENT_EXPORTS } from '../../../src/admin/invoice-exports.js';
import { seedConfirmedOrders } from '../../../support/seed-confirmed-orders.js';
import { adminTokenConfig, ALICE_TOKEN, api } from '../../helpers/admin.js';
import { csvObjects, exportToBuffer, PERSONAL_VALUES } from '../../helpers/finance.js';
import { sampleOrderInput } from '../../../support/orders.js';
import { events, startPipeline, type Pipeline } from '../../../support/pipeline.js';

/**
 * The invoice export as the admin API serves it: the same bytes as `partnerd export invoices`,
 * streamed; every failure before the first byte an ordinary error answer; a reader that goes
 * away frees the database connection; at most MAX_CONCURRENT_EXPORTS at once; each download on
 * record (admin.export_invoices). November 2026 holds SEEDED synthetic confirmed orders (21 MiB
 * of CSV: more than the sockets buffer, so an unread download stays open); today the pipeline's.
 */
const SEEDED = 100_000;
const NOVEMBER = 'from=2026-11-01&to=2026-11-30';
const today = stockholmDateOf(new Date());

let p: Pipeline;
let base: string;
let db: pg.Client;

before(async () => {
  p = await startPipeline({ extra: { admin: adminTokenConfig() } });
  base = `${p.daemon.adminUrl}/api`;
  for (const ordernr of ['DL-1', 'DL-2', 'DL-3']) {
    const r = await p.services.intake.accept(sampleOrderInput(ordernr));
    assert.equal(r.status, 'accepted', JSON.stringify(r));
  }
  for (const ordernr of ['DL-1', 'DL-2', 'DL-3']) await p.waitForState(`t1:benify:${ordernr}`, 'confirmed');
  db = new pg.Client({ connectionString: p.postgres.url });
  await db.connect();
  await seedConfirmedOrders(db, SEEDED);
  await db.query('ANALYZE orders');
});

after(async () => {
  await db?.end();
  await p?.close();
});

/** Sessions of the ledger's database that sit in an open transaction (an export's cursor that was never closed). */
async function openTransactions(): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`,
  );
  return r.rows[0]!.n;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function exportLines(outcome: string) {
  return events(p.lines, 'admin.export_invoices').filter((l) => l.outcome === outcome);
}

describe('invoice download (admin API)', { concurrency: false }, () => {
  test('CSV, Excel CSV and JSON lines: byte for byte what `export invoices` writes, as an attachment, on record', async () => {
    for (const [query, options, type, name] of [
      ['', { format: 'csv', excel: false }, 'text/csv; charset=utf-8', `invoices_${today}_${today}.csv`],
      ['&excel=true', { format: 'csv', excel: true }, 'text/csv; charset=utf-8', `invoices_${today}_${today}_excel.csv`],
      ['&format=jsonl&portal=benify&tenant=t1', { format: 'jsonl', excel: false, portal: 'benify', tenant: 't1' }, 'application/x-ndjson; charset=utf-8', `invoices_${today}_${today}_benify_t1.jsonl`],
    ] as const) {
      const res = await request(`${base}/invoices?from=${today}&to=${today}${query}`, { headers: { authorization: `Bearer ${ALICE_TOKEN}` } });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      assert.equal(res.statusCode, 200, bytes.toString());
      assert.equal(res.headers['content-type'], type);
      assert.equal(res.headers['content-disposition'], `attachment; filename="${name}"`);
      assert.equal(res.headers['cache-control'], 'no-store');
      const direct = await exportToBuffer(p.services.database, { from: today, to: today, ...options } as Parameters<typeof exportToBuffer>[1]);
      assert.ok(direct.summary.rows >= 3, 'the pipeline\'s orders are in it');
      assert.deepEqual(bytes, direct.bytes, `${name}: the same bytes as the CLI's export`);
      for (const v of PERSONAL_VALUES) assert.equal(bytes.includes(v), false, `${name} holds no ${v}`);
    }
    const csv = csvObjects(Buffer.from(await (await request(`${base}/invoices?from=${today}&to=${today}`, { headers: { authorization: `Bearer ${ALICE_TOKEN}` } })).body.arrayBuffer()));
    assert.deepEqual(csv.map((r) => r.portal_order_id ?? r.ordernr).filter((o) => o?.startsWith('DL-')).sort(), ['DL-1', 'DL-2', 'DL-3']);
    // Logged once the last byte is handed over, which may be just after the client has it.
    const done = await eventually('four complete downloads on record', async () => {
      const lines = exportLines('complete').filter((l) => l.from === today);
      return lines.length === 4 ? lines : undefined;
    });
    assert.deepEqual([done[0]!.actor, done[0]!.via, done[0]!.format, done[0]!.excel], ['alice', 'api', 'csv', false]);
    assert.equal(typeof done[0]!.rows, 'number');
    assert.equal(typeof done[0]!.totalIncVatOre, 'number');
  });

  test('a whole month, streamed: every seeded order once, with the ledger\'s total', async () => {
    const res = await request(`${base}/invoices?${NOVEMBER}`, { headers: { authorization: `Bearer ${ALICE_TOKEN}` } });
    assert.equal(res.statusCode, 200);
    const rows = csvObjects(Buffer.from(await res.body.arrayBuffer()));
    assert.equal(rows.length, SEEDED);
    assert.equal(new Set(rows.map((r) => r.brp_order_number)).size, SEEDED);
    const sum = rows.reduce((s, r) => s + BigInt(r.total_inc_vat_ore!), 0n);
    const ledger = await db.query<{ total: string }>(`SELECT sum(sum_ore)::text AS total FROM orders WHERE key LIKE 't1:%:BENCH-%'`);
    assert.equal(sum.toString(), ledger.rows[0]!.total);
    const line = await eventually('the month\'s download on record', async () => exportLines('complete').find((l) => l.from === '2026-11-01'));
    assert.deepEqual([line.from, line.to, line.rows], ['2026-11-01', '2026-11-30', SEEDED]);
  });

  test('failures before the first byte are error answers: no token, bad dates, a range backwards, unknown tenant or portal, unknown parameters', async () => {
    const noToken = await api(base, 'GET', `/invoices?from=${today}&to=${today}`, undefined, null);
    assert.equal(noToken.status, 401);
    for (const [query, message] of [
      ['from=2026-11-01', /to: /],
      ['from=2026-11-01&to=2026-11-31', /the date range must be two real dates/],
      ['from=2026-11-30&to=2026-11-01', /the range ends \(2026-11-01\) before it starts/],
      [`${NOVEMBER}&tenant=nope`, /nope/],
      [`${NOVEMBER}&portal=nope`, /unknown portal "nope"/],
      [`${NOVEMBER}&format=xlsx`, /format: /],
      [`${NOVEMBER}&personnummer=191111111116`, /personnummer|Unrecognized key/i],
    ] as const) {
      const r = await api(base, 'GET', `/invoices?${query}`);
      assert.equal(r.status, 400, `${query}: ${r.text}`);
      assert.match(r.json.message, message, query);
      assert.equal(r.headers['content-disposition'], undefined, 'no attachment for an error');
    }
  });

  test('a reader that goes away: the export stops, its database connection is free, the download is logged as aborted', async () => {
    const before = exportLines('aborted').length;
    const res = await request(`${base}/invoices?${NOVEMBER}`, { headers: { authorization: `Bearer ${ALICE_TOKEN}` } });
    assert.equal(res.statusCode, 200);
    for await (const _chunk of res.body) break; // one chunk, then hang up
    res.body.destroy();
    await eventually('the aborted export to be logged', async () => (exportLines('aborted').length > before ? true : undefined));
    await eventually('no transaction left open', async () => ((await openTransactions()) === 0 ? true : undefined));
    const line = exportLines('aborted').at(-1)!;
    assert.equal(line.actor, 'alice');
    assert.equal(line.rows, undefined);
  });

  test(`at most ${MAX_CONCURRENT_EXPORTS} exports at once: the next is 429 with Retry-After, and works once one has finished`, async () => {
    const open = [];
    for (let i = 0; i < MAX_CONCURRENT_EXPORTS; i++) {
      // Not read: each export waits on its reader with its cursor open.
      const r = await request(`${base}/invoices?${NOVEMBER}`, { headers: { authorization: `Bearer ${ALICE_TOKEN}` } });
      assert.equal(r.statusCode, 200);
      open.push(r);
    }
    const busy = await api(base, 'GET', `/invoices?from=${today}&to=${today}`);
    assert.equal(busy.status, 429, busy.text);
    assert.equal(busy.json.error, 'PD_BUSY');
    assert.equal(busy.headers['retry-after'], '10');
    const aborted = exportLines('aborted').length;
    for (const r of open) r.body.destroy();
    await eventually('both exports to end', async () => (exportLines('aborted').length >= aborted + MAX_CONCURRENT_EXPORTS ? true : undefined));
    const again = await api(base, 'GET', `/invoices?from=${today}&to=${today}`);
    assert.equal(again.status, 200);
    await eventually('no transaction left open', async () => ((await openTransactions()) === 0 ? true : undefined));
  });

  test('the daily report: the range\'s confirmed orders and totals per portal and tenant; yesterday by default', async () => {
    const r = await api(base, 'GET', `/reports/daily?${NOVEMBER}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.json.from, r.json.to], ['2026-11-01', '2026-11-30']);
    const rows = r.json.rows as Array<{ day: string; portal: string; confirmed: number; confirmedTotalOre: number }>;
    assert.equal(rows.reduce((s, x) => s + x.confirmed, 0), SEEDED);
    assert.deepEqual([...new Set(rows.map((x) => x.portal))].sort(), ['actiway', 'benify', 'epassi', 'sop', 'wellnet']);
    const ledger = await db.query<{ total: string }>(`SELECT sum(sum_ore)::text AS total FROM orders WHERE key LIKE 't1:%:BENCH-%'`);
    assert.equal(String(rows.reduce((s, x) => s + x.confirmedTotalOre, 0)), ledger.rows[0]!.total);
    const todays = await api(base, 'GET', `/reports/daily?from=${today}&to=${today}&portal=benify`);
    assert.equal(todays.json.rows.reduce((s: number, x: { confirmed: number }) => s + x.confirmed, 0), 3);
    const byDefault = await api(base, 'GET', '/reports/daily');
    assert.equal(byDefault.status, 200);
    assert.equal(byDefault.json.from, byDefault.json.to);
    assert.notEqual(byDefault.json.from, today);
    assert.equal((await api(base, 'GET', '/reports/daily?from=2026-13-01')).status, 400);
  });
});
