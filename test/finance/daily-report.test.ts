import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { AdminService } from '../../src/admin/admin-service.js';
import { operator } from '../../src/admin/operator.js';
import { parseSekToOre } from '../../src/domain/money.js';
import { stockholmDateOf } from '../../src/domain/stockholm-date.js';
import { dailyReport } from '../../src/finance/daily-report.js';
import { processSopFile } from '../../src/ingest/file-drop/sop-file-drop.js';
import { writeSopReceipts } from '../../src/ingest/file-drop/sop-receipts.js';
import { sampleOrderInput } from '../../support/orders.js';
import { startPipeline, type Pipeline } from '../../support/pipeline.js';
import { csvObjects, exportToBuffer } from '../helpers/finance.js';
import { drop, resetRoot, sopExtra, sopFile, sopRow, tempRoot } from '../ingest/file-drop/sop-fixtures.js';

/**
 * Three views of one day's outcomes must agree: the daily report (per portal × tenant), the
 * invoice export (one row per confirmed order) and, for S&P, the receipts file S&P reads
 * (levererad / avvisad). A simulator run with every kind of outcome: confirmed, rejected by BRP,
 * unroutable, and one BRP created without an answer that an operator resolved.
 */

let root: string;
let p: Pipeline;
const today = stockholmDateOf(new Date());

before(async () => {
  root = await tempRoot('daily-report');
  await resetRoot(root);
  p = await startPipeline({ extra: sopExtra(root), faults: { scriptByOrdernr: { 'SP-DOUBT': ['timeout-after-commit'] }, hangMs: 2_500 } });
});
after(async () => {
  await p.close();
  await rm(root, { recursive: true, force: true });
});

test('the daily report, the invoice export and the S&P receipts agree on counts and totals', async () => {
  await drop(root, 'day.csv', sopFile([
    sopRow('SP-1'), sopRow('SP-1', { Artikelnummer: 'TOWEL', 'Belopp inkl moms': '10,00 kr' }),
    sopRow('SP-2', { 'Anläggning': 'gbg-city', Artikelnummer: 'CLIP-10', 'Belopp inkl moms': '950,50' }),
    sopRow('SP-3', { Artikelnummer: 'BAR', 'Belopp inkl moms': '25,00' }), // BRP: unknown product
    sopRow('SP-4', { 'Anläggning': 'okand', 'Belopp inkl moms': '99,00' }), // unroutable
    sopRow('SP-5', { Personnummer: '19111111-1117' }), // invalid: never an order, in no view
    sopRow('SP-DOUBT', { 'Belopp inkl moms': '1 234,56' }),
  ]));
  const scanned = await processSopFile({ root, intake: p.services.portalIntake, logger: p.services.logger }, 'day.csv');
  assert.deepEqual([scanned.accepted, scanned.unroutable, scanned.rejected], [4, 1, 1]);
  for (const n of ['B-1', 'B-2', 'B-REJ']) {
    const r = await p.services.intake.accept(sampleOrderInput(n, n === 'B-REJ' ? { items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 1 }] } : {}));
    assert.equal(r.status, 'accepted');
  }
  for (const key of ['t1:sop:SP-1', 't1:sop:SP-2', 't1:benify:B-1', 't1:benify:B-2']) await p.waitForState(key, 'confirmed');
  for (const key of ['t1:sop:SP-3', 't1:benify:B-REJ']) await p.waitForState(key, 'rejected');
  await p.waitForState('t1:sop:SP-DOUBT', 'in_doubt');
  const [created] = p.sim.orders({ ordernr: 'SP-DOUBT' });
  await new AdminService(p.services).resolve('t1:sop:SP-DOUBT', operator('finance-test', 'cli'), { brpOrderNumber: String(created!.brpOrderNumber), reason: 'found in BRP' });

  const report = await dailyReport(p.services.database, { from: today, to: today });
  const receipts = parse(await readFile(await writeSopReceipts(p.services, today)), { delimiter: ';', columns: true, record_delimiter: '\r\n' }) as Array<Record<string, string>>;
  const exported = csvObjects((await exportToBuffer(p.services.database, { from: today, to: today })).bytes);
  const exportedSummary = (await exportToBuffer(p.services.database, { from: today, to: today })).summary;

  const row = (portal: string, tenant: string) => report.find((r) => r.portal === portal && r.tenant === tenant);
  const ore = (sek: string) => {
    const r = parseSekToOre(sek);
    assert.ok(r.ok, sek);
    return r.ore;
  };
  const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);

  // S&P: report = receipts = export.
  const sop = row('sop', 't1')!;
  const delivered = receipts.filter((r) => r.Status === 'levererad');
  const exportedSop = exported.filter((r) => r.portal === 'sop');
  assert.equal(sop.confirmed, 3);
  assert.equal(delivered.length, sop.confirmed);
  assert.equal(exportedSop.length, sop.confirmed);
  const simSop = sum(p.sim.orders({ origin: 'sop' }).map((o) => o.sum));
  assert.equal(sop.confirmedTotalOre, simSop, 'what BRP invoiced for S&P');
  assert.equal(sum(delivered.map((r) => ore(r.Belopp!))), sop.confirmedTotalOre);
  assert.equal(sum(exportedSop.map((r) => Number(r.total_inc_vat_ore))), sop.confirmedTotalOre);
  assert.equal(sop.confirmedAsSent, 1, 'the resolved order counts with its total as sent');
  assert.equal(delivered.find((r) => r.Ordernummer === 'SP-DOUBT')?.Belopp, '1 234,56');
  const rejectedOrUnroutable = sop.rejected + (row('sop', '~')?.unroutable ?? 0);
  assert.deepEqual([sop.rejected, row('sop', '~')?.unroutable], [1, 1]);
  assert.equal(receipts.filter((r) => r.Status === 'avvisad').length, rejectedOrUnroutable);
  assert.ok(!receipts.some((r) => r.Ordernummer === 'SP-5'), 'an invalid S&P order is in no view');

  // Benify: report = export.
  const benify = row('benify', 't1')!;
  assert.deepEqual([benify.confirmed, benify.rejected, benify.unroutable], [2, 1, 0]);
  const exportedBenify = exported.filter((r) => r.portal === 'benify');
  assert.equal(exportedBenify.length, benify.confirmed);
  assert.equal(sum(exportedBenify.map((r) => Number(r.total_inc_vat_ore))), benify.confirmedTotalOre);
  assert.equal(benify.confirmedTotalOre, sum(p.sim.orders({ origin: 'benify' }).map((o) => o.sum)));

  // The whole day.
  assert.equal(sum(report.map((r) => r.confirmed)), exportedSummary.rows);
  assert.equal(sum(report.map((r) => r.confirmedTotalOre)), exportedSummary.totalIncVatOre);
  assert.ok(report.every((r) => r.day === today), 'one day');
  assert.deepEqual(await dailyReport(p.services.database, { from: today, to: today, portal: 'benify' }), [benify]);
  assert.deepEqual(await dailyReport(p.services.database, { from: '2020-01-01', to: '2020-01-01' }), []);
});
