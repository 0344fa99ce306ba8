import { formatOreExact } from '../domain/money.js';
import { maskPersonnummer } from '../observability/mask.js';
import type { InvoiceRowData } from './invoice-query.js';

/**
 * One confirmed order → one export row, in CSV (plain or Swedish Excel) or JSON lines, and the
 * running totals of an export. Pure: the streaming lives in invoice-export.ts.
 *
 * Money: every amount is given twice, in SEK with two decimals and in öre, both from the ledger's
 * integer öre with bigint arithmetic (no float ever holds an amount).
 *
 * Which amount: BRP's confirmed sums when BRP's answer gave them (`amount_source` `brp`); else the
 * order total as the portal sent it (`as_sent`: an order an operator resolved, or a 2xx BRP sent
 * that could not be read), with total ex. VAT and VAT left empty because nobody told us those;
 * `none` when not even that is known (an order registered before the total was kept).
 *
 * VAT columns: one pair per rate. The Swedish rates (25, 12, 6 %) always have their columns, so
 * that every export has the same layout for a spreadsheet to read; any other rate BRP reports
 * (0 %, a future rate) gets a pair of its own after them, so no VAT is ever left out of a row.
 */

export const SWEDISH_VAT_RATES: readonly number[] = [25, 12, 6];

/** The VAT rates the CSV has columns for: the Swedish ones, then any other present, highest first. */
export function vatColumnRates(present: readonly number[]): number[] {
  const others = [...new Set(present)].filter((r) => !SWEDISH_VAT_RATES.includes(r)).sort((a, b) => b - a);
  return [...SWEDISH_VAT_RATES, ...others];
}

export type AmountSource = 'brp' | 'as_sent' | 'none';

export interface InvoiceAmounts {
  source: AmountSource;
  totalIncVat?: bigint;
  totalExVat?: bigint;
  /** VAT per rate (BRP's sums only; several entries of one rate are added up). */
  vat: Map<number, bigint>;
}

export function amountsOf(row: InvoiceRowData): InvoiceAmounts {
  const vat = new Map<number, bigint>();
  if (row.sum_ore !== null) {
    for (const v of row.vat_sums ?? []) {
      const rate = Number(v.ratePercent);
      vat.set(rate, (vat.get(rate) ?? 0n) + BigInt(v.amountOre));
    }
    return { source: 'brp', totalIncVat: BigInt(row.sum_ore), ...(row.sum_ex_vat_ore !== null ? { totalExVat: BigInt(row.sum_ex_vat_ore) } : {}), vat };
  }
  if (row.order_total_ore !== null) return { source: 'as_sent', totalIncVat: BigInt(row.order_total_ore), vat };
  return { source: 'none', vat };
}

/** The employer's number as it may be shown: a sole trader's is its owner's personnummer, so it is masked. */
function organisationNumber(row: InvoiceRowData): string {
  if (!row.organisation_number) return '';
  return row.organisation_sole_trader ? maskPersonnummer(row.organisation_number) : row.organisation_number;
}

export function csvHeader(rates: readonly number[]): string[] {
  return [
    'portal', 'portal_order_id', 'tenant', 'business_unit', 'organisation_number', 'organisation_name',
    'brp_order_number', 'invoice_number', 'ocr', 'invoice_date', 'due_date',
    'total_inc_vat_sek', 'total_inc_vat_ore', 'total_ex_vat_sek', 'total_ex_vat_ore',
    ...rates.flatMap((r) => [`vat_${r}_sek`, `vat_${r}_ore`]),
    'amount_source', 'confirmed_at', 'confirmed_day', 'resolved_by_operator', 'review',
  ];
}

// Excel runs a cell that starts with one of these as a formula (CSV injection): text the portal
// chose (an employer's name, an order id) gets a leading apostrophe in Excel files.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvRecord(row: InvoiceRowData, amounts: InvoiceAmounts, rates: readonly number[], excel: boolean): string[] {
  const mark = excel ? ',' : '.';
  const text = (v: string | null) => (v === null ? '' : excel && FORMULA_START.test(v) ? `'${v}` : v);
  const sek = (ore: bigint | undefined) => (ore === undefined ? '' : formatOreExact(ore, mark));
  const ore = (v: bigint | undefined) => (v === undefined ? '' : v.toString());
  const brp = amounts.source === 'brp';
  return [
    row.portal, text(row.ordernr), text(row.tenant), text(row.business_unit), text(organisationNumber(row)), text(row.organisation_name),
    text(row.brp_order_number), text(row.invoice_number), text(row.ocr), row.invoice_date ?? '', row.due_date ?? '',
    sek(amounts.totalIncVat), ore(amounts.totalIncVat), sek(amounts.totalExVat), ore(amounts.totalExVat),
    // A rate BRP did not report for the order is 0 at that rate; for an amount as sent, VAT is unknown.
    ...rates.flatMap((r) => {
      const v = brp ? (amounts.vat.get(r) ?? 0n) : undefined;
      return [sek(v), ore(v)];
    }),
    amounts.source, row.confirmed_at, row.confirmed_day, String(row.resolved_by_operator), String(row.review),
  ];
}

export function jsonRecord(row: InvoiceRowData, amounts: InvoiceAmounts): Record<string, unknown> {
  const money = (ore: bigint | undefined) => (ore === undefined ? null : { sek: formatOreExact(ore), ore: Number(ore) });
  return {
    portal: row.portal, portalOrderId: row.ordernr, tenant: row.tenant, businessUnit: row.business_unit,
    organisationNumber: row.organisation_number === null ? null : organisationNumber(row), organisationName: row.organisation_name,
    brpOrderNumber: row.brp_order_number, invoiceNumber: row.invoice_number, ocr: row.ocr, invoiceDate: row.invoice_date, dueDate: row.due_date,
    totalIncVat: money(amounts.totalIncVat), totalExVat: money(amounts.totalExVat),
    vat: amounts.source === 'brp'
      ? [...amounts.vat.entries()].sort((a, b) => b[0] - a[0]).map(([ratePercent, ore]) => ({ ratePercent, sek: formatOreExact(ore), ore: Number(ore) }))
      : null,
    amountSource: amounts.source, confirmedAt: row.confirmed_at, confirmedDay: row.confirmed_day,
    resolvedByOperator: row.resolved_by_operator, review: row.review,
  };
}

/** What an export wrote, added up: for the caller's summary line and for reconciliation. */
export interface InvoiceTotals {
  rows: number;
  /** Σ total incl. VAT over every row that has one (BRP's and as-sent amounts), öre. */
  totalIncVatOre: number;
  /** Σ total ex. VAT over the rows with BRP's sums, öre. */
  totalExVatOre: number;
  /** Σ VAT per rate over the rows with BRP's sums, highest rate first. */
  vatByRate: Array<{ ratePercent: number; ore: number }>;
  byAmountSource: Record<AmountSource, number>;
  resolvedByOperator: number;
  review: number;
}

export class InvoiceTotalsCounter {
  private rows = 0;
  private incVat = 0n;
  private exVat = 0n;
  private readonly vat = new Map<number, bigint>();
  private readonly sources: Record<AmountSource, number> = { brp: 0, as_sent: 0, none: 0 };
  private resolved = 0;
  private review = 0;

  add(row: InvoiceRowData, amounts: InvoiceAmounts): void {
    this.rows++;
    this.sources[amounts.source]++;
    if (row.resolved_by_operator) this.resolved++;
    if (row.review) this.review++;
    this.incVat += amounts.totalIncVat ?? 0n;
    this.exVat += amounts.totalExVat ?? 0n;
    for (const [rate, ore] of amounts.vat) this.vat.set(rate, (this.vat.get(rate) ?? 0n) + ore);
  }

  get count(): number {
    return this.rows;
  }

  totals(): InvoiceTotals {
    return {
      rows: this.rows,
      totalIncVatOre: safe(this.incVat),
      totalExVatOre: safe(this.exVat),
      vatByRate: [...this.vat.entries()].sort((a, b) => b[0] - a[0]).map(([ratePercent, ore]) => ({ ratePercent, ore: safe(ore) })),
      byAmountSource: { ...this.sources },
      resolvedByOperator: this.resolved,
      review: this.review,
    };
  }
}

/** Totals are numbers for JSON's sake; a sum past 2^53 öre (90 billion kronor) is refused rather than rounded. */
function safe(ore: bigint): number {
  const n = Number(ore);
  if (!Number.isSafeInteger(n)) throw new RangeError('an export total exceeds 2^53 öre');
  return n;
}
