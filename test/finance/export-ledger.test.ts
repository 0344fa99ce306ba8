import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { createDatabase, type Database } from '../../src/ledger/database.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { migrate, MIGRATIONS_DIR, MIGRATIONS_TABLE } from '../../src/ledger/migrations.js';
import { createPersonHasher } from '../../src/domain/person-hash.js';
import { sampleOrder } from '../../support/orders.js';
import { csvObjects, exportToBuffer } from '../helpers/finance.js';
import { TEST_ERASURE_KEY } from '../../support/pipeline.js';
import { testLogger } from '../../support/test-logs.js';
import { startPostgres, truncateLedger, type PrivatePostgres } from '../../support/private-postgres.js';

/**
 * The export and the columns it reads, against a ledger whose rows a test places exactly: the
 * Stockholm day boundaries, a VAT rate outside the Swedish set, the cursor's batches, what
 * registration now keeps, and the migration applied to a table that already holds orders.
 */

let postgres: PrivatePostgres;
let db: Database;
let ledger: Ledger;
const { logger } = testLogger();
const dbConfig = (url = postgres.url) => ({ url, poolSize: 5, connectTimeoutMs: 2_000, statementTimeoutMs: 10_000 });
const hasher = createPersonHasher(TEST_ERASURE_KEY);

before(async () => {
  postgres = await startPostgres();
  await migrate(dbConfig(), logger);
  db = createDatabase(dbConfig(), logger);
  ledger = Ledger.fromDatabase(db, postgres.url, undefined, { personHash: hasher });
});
after(async () => {
  await db.end();
  await postgres.destroy();
});
beforeEach(() => truncateLedger(postgres.url));

/** An order registered, then recorded as confirmed by BRP at `at` with these sums. */
async function confirmed(ordernr: string, at: string, sums: { sumOre: number; vat: Array<[number, number]> }): Promise<void> {
  await ledger.register(sampleOrder(ordernr), 'proof', { now: new Date(at) });
  const vatTotal = sums.vat.reduce((s, [, v]) => s + v, 0);
  await db.query(
    `UPDATE orders SET state = 'confirmed', confirmed_at = $2, final_at = $2, updated_at = $2, payload = NULL, xml = NULL,
       brp_order_number = $3, invoice_number = $3, ocr = $4, sum_ore = $5, sum_ex_vat_ore = $6, invoice_total_ore = $5,
       vat_sums = $7::jsonb, invoice_date = '2026-10-25', due_date = '2026-11-24'
     WHERE ordernr = $1`,
    [ordernr, new Date(at), ordernr.replace(/\D/g, ''), `${ordernr.replace(/\D/g, '')}9`, sums.sumOre, sums.sumOre - vatTotal,
      JSON.stringify(sums.vat.map(([ratePercent, amountOre]) => ({ ratePercent, amountOre })))],
  );
}

describe('export from the ledger', { concurrency: false }, () => {
  test('a day is Stockholm midnight to midnight, also the 25-hour day the clocks go back', async () => {
    const sums = { sumOre: 10_600, vat: [[6, 600]] as Array<[number, number]> };
    await confirmed('D-1', '2026-10-24T21:59:59.999Z', sums); // 23:59:59 CEST on the 24th
    await confirmed('D-2', '2026-10-24T22:00:00.000Z', sums); // 00:00 CEST on the 25th
    await confirmed('D-3', '2026-10-25T22:59:59.999Z', sums); // 23:59:59 CET on the 25th
    await confirmed('D-4', '2026-10-25T23:00:00.000Z', sums); // 00:00 CET on the 26th
    const rows = csvObjects((await exportToBuffer(db, { from: '2026-10-25', to: '2026-10-25' })).bytes);
    assert.deepEqual(rows.map((r) => [r.portal_order_id, r.confirmed_day, r.confirmed_at]), [
      ['D-2', '2026-10-25', '2026-10-24T22:00:00.000Z'],
      ['D-3', '2026-10-25', '2026-10-25T22:59:59.999Z'],
    ]);
    const three = csvObjects((await exportToBuffer(db, { from: '2026-10-24', to: '2026-10-26' })).bytes);
    assert.deepEqual(three.map((r) => r.confirmed_day), ['2026-10-24', '2026-10-25', '2026-10-25', '2026-10-26']);
  });

  test('a VAT rate outside 25/12/6 gets a column pair of its own after them: no VAT is left out', async () => {
    await confirmed('V-1', '2026-03-01T10:00:00Z', { sumOre: 50_000, vat: [[25, 2_000], [8, 1_480], [0, 0]] });
    await confirmed('V-2', '2026-03-01T11:00:00Z', { sumOre: 10_600, vat: [[6, 600]] });
    const { bytes, summary } = await exportToBuffer(db, { from: '2026-03-01', to: '2026-03-01' });
    assert.deepEqual(summary.vatColumns, [25, 12, 6, 8, 0]);
    const rows = csvObjects(bytes);
    assert.deepEqual(
      rows.map((r) => [r.vat_25_ore, r.vat_12_ore, r.vat_6_ore, r.vat_8_ore, r.vat_8_sek, r.vat_0_ore, r.total_ex_vat_ore]),
      [['2000', '0', '0', '1480', '14.80', '0', '46520'], ['0', '0', '600', '0', '0.00', '0', '10000']],
    );
    assert.deepEqual(summary.vatByRate, [{ ratePercent: 25, ore: 2_000 }, { ratePercent: 8, ore: 1_480 }, { ratePercent: 6, ore: 600 }, { ratePercent: 0, ore: 0 }]);
    // A range with the Swedish rates only keeps the same three column pairs.
    assert.deepEqual((await exportToBuffer(db, { from: '2026-03-02', to: '2026-03-02' })).summary.vatColumns, [25, 12, 6]);
  });

  test('--excel: text a spreadsheet would run as a formula is neutralised; amounts stay numbers, also negative ones', async () => {
    await confirmed('=F-1', '2026-04-01T10:00:00Z', { sumOre: 10_600, vat: [[6, 600]] });
    await db.query(`UPDATE orders SET organisation_name = '=HYPERLINK("http://x")', sum_ex_vat_ore = -5 WHERE ordernr = '=F-1'`);
    const excel = csvObjects((await exportToBuffer(db, { from: '2026-04-01', to: '2026-04-01', excel: true })).bytes, ';')[0]!;
    assert.deepEqual([excel.portal_order_id, excel.organisation_name, excel.total_ex_vat_sek, excel.total_ex_vat_ore], ["'=F-1", '\'=HYPERLINK("http://x")', '-0,05', '-5']);
    const plain = csvObjects((await exportToBuffer(db, { from: '2026-04-01', to: '2026-04-01' })).bytes)[0]!;
    assert.deepEqual([plain.portal_order_id, plain.organisation_name, plain.total_ex_vat_sek], ['=F-1', '=HYPERLINK("http://x")', '-0.05']);
  });

  test('the cursor reads in batches: every row once, in confirmation order, progress reported', async () => {
    for (let i = 0; i < 10; i++) await confirmed(`B-${i}`, `2026-05-05T08:${String(59 - i).padStart(2, '0')}:00Z`, { sumOre: 100 + i, vat: [[25, 20]] });
    const progress: Array<[number, number]> = [];
    const { bytes, summary } = await exportToBuffer(db, { from: '2026-05-05', to: '2026-05-05', batchSize: 3, progressEvery: 4, onProgress: (d, t) => progress.push([d, t]) });
    assert.deepEqual(csvObjects(bytes).map((r) => r.portal_order_id), Array.from({ length: 10 }, (_, i) => `B-${9 - i}`));
    assert.equal(summary.totalIncVatOre, 1_045);
    assert.deepEqual(progress, [[0, 10], [4, 10], [8, 10], [10, 10]]);
  });

  test('registration keeps the employer, the business unit, the total as sent and the person hash (any form of the number gives it)', async () => {
    const order = sampleOrder('R-1');
    // The canonical (short) form of someone born in 1911: `+` from the year they turned 100.
    order.person.personnummer = '111111+1116';
    order.items.push({ productNumber: '2001', startDay: '2026-12-01', priceIncVatOre: 1_000 });
    await ledger.register(order);
    const rec = await ledger.get('t1:benify:R-1');
    assert.deepEqual(
      [rec?.organisationNumber, rec?.organisationName, rec?.organisationSoleTrader, rec?.businessUnit, rec?.orderTotalOre, rec?.personalDataRemovedAt],
      ['556016-0680', 'Test Org & Söner AB', false, '1', 251_000, undefined],
    );
    const stored = await db.query<{ person_hash: string }>('SELECT person_hash FROM orders WHERE key = $1', ['t1:benify:R-1']);
    for (const form of ['19111111-1116', '191111111116', '111111+1116']) assert.equal(stored.rows[0]?.person_hash, hasher(form));
    assert.match(stored.rows[0]!.person_hash, /^[0-9a-f]{64}$/);
    assert.notEqual(hasher('19111111-1116'), createPersonHasher(`${TEST_ERASURE_KEY}-other`)('19111111-1116'), 'keyed');

    // An unroutable order: the total of its lines as sent, and the hash of its raw personnummer.
    await ledger.registerUnroutable('sop', 'U-1', {
      portal: 'sop', ordernr: 'U-1', venueRef: 'x', organization: { number: '5560160680', name: 'X' },
      person: { firstName: 'A', lastName: 'B', personnummer: '19111111-1116' },
      lines: [{ articleCode: 'A', startDay: '2026-12-01', priceIncVatOre: 1_500, quantity: 2 }, { articleCode: 'B', startDay: '2026-12-01', priceIncVatOre: 99, quantity: 1 }],
      fieldPaths: {},
    }, 'unknown venue "x"');
    const unroutable = await db.query<{ order_total_ore: string; person_hash: string }>('SELECT order_total_ore, person_hash FROM orders WHERE key = $1', ['~:sop:U-1']);
    assert.deepEqual(unroutable.rows[0], { order_total_ore: 3_099, person_hash: hasher('191111111116') });
  });

  test('the migration adds its columns to a table that already holds orders: rows intact, exported with what they have', async () => {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS premigration');
    await admin.query('CREATE DATABASE premigration');
    await admin.end();
    const url = postgres.url.replace(/\/postgres$/, '/premigration');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // The schema as it was before this migration (the ledger and the operators' lookups), with orders in it.
      await runner({ dbClient: client, dir: MIGRATIONS_DIR, migrationsTable: MIGRATIONS_TABLE, direction: 'up', count: 2, singleTransaction: true, log: () => undefined });
      await client.query(
        `INSERT INTO orders (key, tenant, portal, ordernr, state, received_at, updated_at, final_at, confirmed_at, brp_order_number, invoice_number, ocr,
                             sum_ore, sum_ex_vat_ore, vat_sums, payload)
         VALUES ('t1:benify:OLD-1', 't1', 'benify', 'OLD-1', 'confirmed', '2026-01-10T09:00:00Z', '2026-01-10T09:00:00Z', '2026-01-10T09:00:00Z',
                 '2026-01-10T09:00:00Z', '7', '8', '89', 10600, 10000, '[{"ratePercent":6,"amountOre":600}]', NULL),
                ('t1:benify:OLD-2', 't1', 'benify', 'OLD-2', 'queued', '2026-01-10T09:00:00Z', '2026-01-10T09:00:00Z', NULL, NULL, NULL, NULL, NULL,
                 NULL, NULL, NULL, '{"ordernr":"OLD-2"}')`,
      );
    } finally {
      await client.end();
    }
    const { applied } = await migrate(dbConfig(url), logger);
    assert.equal(applied[0], '1796129470589_finance-and-personal-data');
    const migrated = createDatabase(dbConfig(url), logger);
    try {
      const old = Ledger.fromDatabase(migrated, url);
      const one = await old.get('t1:benify:OLD-1');
      assert.deepEqual([one?.state, one?.sumOre, one?.orderTotalOre, one?.organisationNumber, one?.personalDataRemovedAt], ['confirmed', 10_600, undefined, undefined, undefined]);
      assert.deepEqual((await old.get('t1:benify:OLD-2'))?.payload, { ordernr: 'OLD-2' });
      const rows = csvObjects((await exportToBuffer(migrated, { from: '2026-01-10', to: '2026-01-10' })).bytes);
      assert.deepEqual(rows.map((r) => [r.portal_order_id, r.total_inc_vat_ore, r.vat_6_ore, r.amount_source, r.organisation_number]), [['OLD-1', '10600', '600', 'brp', '']]);
    } finally {
      await migrated.end();
    }
  });
});
