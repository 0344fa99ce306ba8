import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { AdminService } from '../../src/admin/admin-service.js';
import { operator } from '../../src/admin/operator.js';
import { stockholmDateOf } from '../../src/domain/stockholm-date.js';
import { isPartnerdError } from '../../src/errors.js';
import { exportInvoices } from '../../src/finance/invoice-export.js';
import type { SimOrderRecord } from '../../src/simulator/index.js';
import { sampleOrderInput } from '../../support/orders.js';
import { startPipeline, type Pipeline } from '../../support/pipeline.js';
import { csvObjects, exportToBuffer, PERSONAL_VALUES } from '../helpers/finance.js';

/**
 * The invoice export of a real pipeline run against the BRP simulator: every confirmed order's
 * invoice as BRP made it (numbers, OCR, dates, totals, VAT per rate), the orders BRP's answer gave
 * no sums for with their total as sent and a flag, and no personal data in any format.
 */

let p: Pipeline;
const today = stockholmDateOf(new Date());

/** The run: what each order is, and what the simulator made of it. */
const orders = {
  plain: 'INV-1', // 1001 (6 %) + 2001 (25 %)
  threeRates: 'INV-2', // 6, 12 and 25 %
  wellnet: 'INV-3',
  soleTrader: 'INV-4', // the employer is an enskild firma: its number is a personnummer
  unit2: 'INV-5',
  resolved: 'INV-DOUBT', // BRP created it, the answer never came: in doubt, resolved by an operator
  unparsed: 'INV-UNPARSED', // BRP created it and answered 200 with a body we cannot read
  rejected: 'INV-REJ', // unknown product: not invoiced
};

before(async () => {
  p = await startPipeline({
    faults: { scriptByOrdernr: { [orders.resolved]: ['timeout-after-commit'], [orders.unparsed]: ['malformed-2xx'] }, hangMs: 2_500 },
  });
  const accept = async (ordernr: string, overrides: Record<string, unknown> = {}) => {
    const r = await p.services.intake.accept(sampleOrderInput(ordernr, overrides));
    assert.equal(r.status, 'accepted', JSON.stringify(r));
    return (r as { key: string }).key;
  };
  const keys = [
    await accept(orders.plain),
    await accept(orders.threeRates, { items: [
      { productNumber: '1001', startDay: '2026-12-01', priceIncVat: '599.00' },
      { productNumber: '3001', startDay: '2026-12-01', priceIncVatOre: 2500 },
      { productNumber: '2001', startDay: '2026-12-01', priceIncVat: '10,00 kr' },
    ] }),
    await accept(orders.wellnet, { portal: 'wellnet' }),
    await accept(orders.soleTrader, { organization: { number: '201212121212', name: 'Eks Konsult' } }),
    await accept(orders.unit2, { businessUnit: 2, items: [{ productNumber: '1002', startDay: '2026-12-01', priceIncVatOre: 95050 }] }),
    await accept(orders.unparsed),
    await accept(orders.rejected, { items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 100 }] }),
  ];
  const doubt = await accept(orders.resolved, { items: [{ productNumber: '3001', startDay: '2026-12-01', priceIncVatOre: 3300 }] });
  for (const key of keys.slice(0, -1)) await p.waitForState(key, 'confirmed');
  await p.waitForState(keys.at(-1)!, 'rejected');
  await p.waitForState(doubt, 'in_doubt');
  // The operator looked in BRP and found it: the numbers as BRP shows them, no sums.
  const [created] = p.sim.orders({ ordernr: orders.resolved });
  await new AdminService(p.services).resolve(doubt, operator('finance-test', 'cli'), { brpOrderNumber: String(created!.brpOrderNumber), invoiceNumber: String(created!.invoiceNumber), ocr: created!.ocr, reason: 'found in BRP' });
});

after(async () => { await p.close(); });

const simByOrdernr = (): Map<string, SimOrderRecord> => new Map(p.sim.orders().map((o) => [o.ordernr, o]));

describe('invoice export', { concurrency: false }, () => {
  test('CSV of a simulator run: one row per confirmed order, exactly the simulator\'s invoices (numbers, OCR, dates, Σ öre, VAT per rate)', async () => {
    const { bytes, summary } = await exportToBuffer(p.services.database, { from: today, to: today });
    const rows = csvObjects(bytes);
    const sim = simByOrdernr();
    assert.equal(sim.size, 7, 'the simulator created every order but the rejected one');
    assert.equal(rows.length, 7);
    assert.equal(summary.rows, 7);
    assert.deepEqual(summary.vatColumns, [25, 12, 6]);
    assert.deepEqual(Object.keys(rows[0]!), [
      'portal', 'portal_order_id', 'tenant', 'business_unit', 'organisation_number', 'organisation_name',
      'brp_order_number', 'invoice_number', 'ocr', 'invoice_date', 'due_date',
      'total_inc_vat_sek', 'total_inc_vat_ore', 'total_ex_vat_sek', 'total_ex_vat_ore',
      'vat_25_sek', 'vat_25_ore', 'vat_12_sek', 'vat_12_ore', 'vat_6_sek', 'vat_6_ore',
      'amount_source', 'confirmed_at', 'confirmed_day', 'resolved_by_operator', 'review',
    ]);

    const byOrdernr = new Map(rows.map((r) => [r.portal_order_id!, r]));
    for (const [ordernr, invoice] of sim) {
      const row = byOrdernr.get(ordernr);
      assert.ok(row, `${ordernr} is exported`);
      assert.equal(row.tenant, 't1');
      assert.equal(row.confirmed_day, today);
      assert.equal(row.total_inc_vat_ore, String(invoice.sum), `${ordernr}: total incl. VAT`);
      assert.equal(row.total_inc_vat_sek, `${Math.floor(invoice.sum / 100)}.${String(invoice.sum % 100).padStart(2, '0')}`);
      if (ordernr === orders.unparsed) {
        // BRP's numbers never reached us: the total as sent, flagged for review.
        assert.deepEqual([row.brp_order_number, row.invoice_number, row.ocr, row.amount_source, row.review, row.resolved_by_operator], ['', '', '', 'as_sent', 'true', 'false']);
        assert.deepEqual([row.total_ex_vat_ore, row.vat_25_ore, row.vat_12_ore, row.vat_6_ore], ['', '', '', '']);
        continue;
      }
      assert.equal(row.brp_order_number, String(invoice.brpOrderNumber));
      assert.equal(row.invoice_number, String(invoice.invoiceNumber));
      assert.equal(row.ocr, invoice.ocr, `${ordernr}: OCR`);
      if (ordernr === orders.resolved) {
        assert.deepEqual([row.amount_source, row.resolved_by_operator, row.review], ['as_sent', 'true', 'true']);
        assert.deepEqual([row.total_ex_vat_ore, row.vat_12_ore, row.invoice_date], ['', '', ''], 'VAT unknown, not made up');
        continue;
      }
      assert.deepEqual([row.amount_source, row.resolved_by_operator, row.review], ['brp', 'false', 'false']);
      assert.equal(row.invoice_date, invoice.invoiceDate);
      assert.equal(row.due_date, invoice.dueDate);
      assert.equal(row.total_ex_vat_ore, String(invoice.sumExVat));
      for (const rate of [25, 12, 6]) {
        const amount = invoice.vatSums.find((v) => v.rate === rate)?.amount ?? 0;
        assert.equal(row[`vat_${rate}_ore`], String(amount), `${ordernr}: VAT ${rate} %`);
        assert.equal(row[`vat_${rate}_sek`], `${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, '0')}`);
      }
      assert.equal(BigInt(row.total_ex_vat_ore!) + [25, 12, 6].reduce((s, r) => s + BigInt(row[`vat_${r}_ore`]!), 0n), BigInt(row.total_inc_vat_ore!));
    }

    // Σ öre and VAT per rate over the whole run.
    const simTotal = [...sim.values()].reduce((s, o) => s + o.sum, 0);
    assert.equal(rows.reduce((s, r) => s + Number(r.total_inc_vat_ore), 0), simTotal);
    assert.equal(summary.totalIncVatOre, simTotal);
    const brpInvoices = [...sim.values()].filter((o) => o.delivery === 'ok');
    const simVat = new Map<number, number>();
    for (const o of brpInvoices) for (const v of o.vatSums) simVat.set(v.rate, (simVat.get(v.rate) ?? 0) + v.amount);
    assert.deepEqual(summary.vatByRate, [...simVat.entries()].sort((a, b) => b[0] - a[0]).map(([ratePercent, ore]) => ({ ratePercent, ore })));
    assert.equal(summary.totalExVatOre, brpInvoices.reduce((s, o) => s + o.sumExVat, 0));
    assert.deepEqual(summary.byAmountSource, { brp: 5, as_sent: 2, none: 0 });
    assert.equal(summary.resolvedByOperator, 1);
    assert.equal(summary.review, 2);

    // The employer is kept for the record's life; a sole trader's number is its owner's personnummer: masked.
    assert.equal(byOrdernr.get(orders.plain)!.organisation_number, '556016-0680');
    assert.equal(byOrdernr.get(orders.plain)!.organisation_name, 'Test Org & Söner AB');
    assert.equal(byOrdernr.get(orders.soleTrader)!.organisation_number, '12xxxx-xx12');
    assert.equal(byOrdernr.get(orders.soleTrader)!.organisation_name, 'Eks Konsult');
    assert.equal(byOrdernr.get(orders.unit2)!.business_unit, '2');
    assert.equal(byOrdernr.get(orders.wellnet)!.portal, 'wellnet');
  });

  test('--excel: UTF-8 byte-order mark, ; between fields, decimal comma, CRLF; the same figures', async () => {
    const { bytes } = await exportToBuffer(p.services.database, { from: today, to: today, excel: true });
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    const text = bytes.subarray(3).toString('utf8');
    const lines = text.split('\r\n');
    assert.equal(lines.at(-1), '', 'every row ends with CRLF');
    assert.ok(!text.replace(/\r\n/g, '').includes('\n'), 'no bare LF');
    assert.match(lines[0]!, /^portal;portal_order_id;tenant;business_unit;organisation_number;organisation_name;brp_order_number;/);
    const rows = csvObjects(bytes, ';');
    const plain = rows.find((r) => r.portal_order_id === orders.plain)!;
    const sim = simByOrdernr().get(orders.plain)!;
    assert.equal(plain.total_inc_vat_sek, '2510,00');
    assert.equal(plain.total_inc_vat_ore, '251000');
    assert.equal(plain.vat_6_sek, '141,51');
    assert.equal(plain.vat_25_sek, '2,00');
    assert.equal(plain.vat_12_sek, '0,00');
    assert.equal(plain.total_ex_vat_sek, `${Math.floor(sim.sumExVat / 100)},${String(sim.sumExVat % 100).padStart(2, '0')}`);
    // The raw line: the amounts are bare decimal-comma numbers (no quotes), the name keeps its comma-free text.
    const raw = lines.find((l) => l.includes(`;${orders.plain};`))!;
    assert.ok(raw.includes(';2510,00;251000;'), raw);
    for (const r of rows) for (const [k, v] of Object.entries(r)) if (k.endsWith('_sek') && v !== '') assert.match(v, /^-?\d+,\d{2}$/, `${k}: ${v}`);
  });

  test('JSON lines: one object per confirmed order with the same figures', async () => {
    const { bytes, summary } = await exportToBuffer(p.services.database, { from: today, to: today, format: 'jsonl' });
    const lines = bytes.toString('utf8').split('\n');
    assert.equal(lines.at(-1), '');
    const objects = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(objects.length, 7);
    assert.equal(summary.rows, 7);
    const sim = simByOrdernr();
    const three = objects.find((o) => o.portalOrderId === orders.threeRates)!;
    const invoice = sim.get(orders.threeRates)!;
    assert.deepEqual(three.totalIncVat, { sek: `${Math.floor(invoice.sum / 100)}.${String(invoice.sum % 100).padStart(2, '0')}`, ore: invoice.sum });
    assert.deepEqual((three.vat as Array<{ ratePercent: number; ore: number }>).map((v) => [v.ratePercent, v.ore]), invoice.vatSums.map((v) => [v.rate, v.amount]));
    assert.equal(three.ocr, invoice.ocr);
    const resolved = objects.find((o) => o.portalOrderId === orders.resolved)!;
    assert.deepEqual([resolved.amountSource, resolved.vat, resolved.totalExVat, resolved.resolvedByOperator], ['as_sent', null, null, true]);
    assert.equal(objects.reduce((s, o) => s + (o.totalIncVat as { ore: number }).ore, 0), [...sim.values()].reduce((s, o) => s + o.sum, 0));
  });

  test('no personal data in any format', async () => {
    for (const options of [{}, { excel: true }, { format: 'jsonl' as const }]) {
      const { bytes } = await exportToBuffer(p.services.database, { from: today, to: today, ...options });
      const text = bytes.toString('utf8');
      assert.ok(text.includes(orders.plain), 'the export is not empty');
      for (const value of PERSONAL_VALUES) assert.ok(!text.includes(value), `${JSON.stringify(options)} holds ${value}`);
      // The sole trader's number in every spelling, too.
      for (const value of ['201212121212', '121212-1212', '1212121212']) assert.ok(!text.includes(value), `sole trader's number ${value}`);
    }
  });

  test('filters: portal, tenant, a range without orders (the header only), a backwards range refused', async () => {
    const wellnet = csvObjects((await exportToBuffer(p.services.database, { from: today, to: today, portal: 'wellnet' })).bytes);
    assert.deepEqual(wellnet.map((r) => r.portal_order_id), [orders.wellnet]);
    assert.equal(csvObjects((await exportToBuffer(p.services.database, { from: today, to: today, tenant: 'nobody' })).bytes).length, 0);
    const empty = await exportToBuffer(p.services.database, { from: '2020-01-01', to: '2020-01-31' });
    assert.equal(empty.bytes.toString('utf8').split('\r\n').length, 2, 'header and the final CRLF');
    assert.equal(empty.summary.rows, 0);
    await assert.rejects(exportToBuffer(p.services.database, { from: '2026-02-02', to: '2026-02-01' }), (err: unknown) => isPartnerdError(err, 'PD_INVALID_ARGUMENT'));
    await assert.rejects(exportToBuffer(p.services.database, { from: '2026-02-30', to: '2026-03-01' }), (err: unknown) => isPartnerdError(err, 'PD_INVALID_ARGUMENT'));
    await assert.rejects(exportToBuffer(p.services.database, { from: today, to: today, format: 'jsonl', excel: true }), (err: unknown) => isPartnerdError(err, 'PD_INVALID_ARGUMENT'));
  });

  test('a reader that fails mid-export ends it with the error and the connection is not reused', async () => {
    let written = 0;
    const failing = new Writable({
      write(_chunk, _enc, done) {
        written++;
        done(written > 1 ? new Error('disk full') : null);
      },
    });
    await assert.rejects(exportInvoices(p.services.database, { from: today, to: today, batchSize: 2 }, failing), /disk full/);
    // The pool still works.
    const again = await exportToBuffer(p.services.database, { from: today, to: today });
    assert.equal(again.summary.rows, 7);
  });
});
