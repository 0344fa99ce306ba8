import QueryStream from 'pg-query-stream';
import type { Portal } from '../domain/canonical-order.js';
import { stockholmDayBounds } from '../domain/stockholm-date.js';
import { PartnerdError } from '../errors.js';
import type { Queryable } from '../ledger/database.js';

/**
 * What finance reads of the ledger: confirmed orders by the Stockholm day they were confirmed,
 * with BRP's invoice numbers and sums and what was kept of the order for its whole life (the
 * employer, the business unit, the total as sent). Never a personal column: the query names its
 * columns, and `payload`, `xml`, `portal_order`, `raw_response` and `person_hash` are not among them.
 */

export interface InvoiceFilter {
  /** First and last Stockholm day (`YYYY-MM-DD`, both included) of confirmed_at. */
  from: string;
  to: string;
  portal?: Portal;
  tenant?: string;
}

/** One confirmed order as the export reads it: money as exact decimal text (bigint columns). */
export interface InvoiceRowData {
  tenant: string;
  portal: string;
  ordernr: string;
  business_unit: string | null;
  organisation_number: string | null;
  organisation_name: string | null;
  organisation_sole_trader: boolean | null;
  brp_order_number: string | null;
  invoice_number: string | null;
  ocr: string | null;
  invoice_date: string | null;
  due_date: string | null;
  sum_ore: string | null;
  sum_ex_vat_ore: string | null;
  order_total_ore: string | null;
  vat_sums: Array<{ ratePercent: number; amountOre: number }> | null;
  /** ISO 8601 UTC, milliseconds. */
  confirmed_at: string;
  /** The Stockholm day of confirmed_at. */
  confirmed_day: string;
  resolved_by_operator: boolean;
  review: boolean;
}

const STOCKHOLM = `'Europe/Stockholm'`;

/** The instant range [start, end) of the Stockholm days from..to. */
export function invoiceRange(filter: Pick<InvoiceFilter, 'from' | 'to'>): { start: Date; end: Date } {
  let start: Date;
  let end: Date;
  try {
    start = stockholmDayBounds(filter.from).start;
    end = stockholmDayBounds(filter.to).end;
  } catch {
    throw new PartnerdError('PD_INVALID_ARGUMENT', 'the date range must be two real dates written YYYY-MM-DD');
  }
  if (start >= end) throw new PartnerdError('PD_INVALID_ARGUMENT', `the range ends (${filter.to}) before it starts (${filter.from})`);
  return { start, end };
}

function where(filter: InvoiceFilter): { sql: string; params: unknown[] } {
  const { start, end } = invoiceRange(filter);
  const params: unknown[] = [start, end];
  let sql = `o.state = 'confirmed' AND o.confirmed_at >= $1 AND o.confirmed_at < $2`;
  if (filter.portal) sql += ` AND o.portal = $${params.push(filter.portal)}`;
  if (filter.tenant) sql += ` AND o.tenant = $${params.push(filter.tenant)}`;
  return { sql, params };
}

/**
 * How many rows the filter selects and which VAT rates occur in them: the progress total and the
 * CSV's columns, known before the first row is written. Run in the export's snapshot.
 */
export async function invoiceOverview(db: Queryable, filter: InvoiceFilter): Promise<{ count: number; rates: number[] }> {
  const w = where(filter);
  const r = await db.query<{ n: string; rates: unknown[] | null }>(
    `SELECT count(*)::text AS n,
            (SELECT coalesce(json_agg(DISTINCT (v->>'ratePercent')::numeric), '[]'::json)
               FROM orders o CROSS JOIN LATERAL jsonb_array_elements(coalesce(o.vat_sums, '[]'::jsonb)) v WHERE ${w.sql}) AS rates
       FROM orders o WHERE ${w.sql}`,
    w.params,
  );
  const row = r.rows[0];
  const rates = (row?.rates ?? []).map(Number).filter((n) => Number.isFinite(n));
  return { count: Number(row?.n ?? 0), rates };
}

/** The rows, oldest confirmation first, read through a server-side cursor `batchSize` rows at a time. */
export function invoiceRowStream(filter: InvoiceFilter, batchSize = 200): QueryStream {
  const w = where(filter);
  return new QueryStream(
    `SELECT o.tenant, o.portal, o.ordernr, o.business_unit, o.organisation_number, o.organisation_name, o.organisation_sole_trader,
            o.brp_order_number, o.invoice_number, o.ocr, o.invoice_date::text AS invoice_date, o.due_date::text AS due_date,
            o.sum_ore::text AS sum_ore, o.sum_ex_vat_ore::text AS sum_ex_vat_ore, o.order_total_ore::text AS order_total_ore, o.vat_sums,
            to_char(o.confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS confirmed_at,
            to_char(o.confirmed_at AT TIME ZONE ${STOCKHOLM}, 'YYYY-MM-DD') AS confirmed_day,
            EXISTS (SELECT 1 FROM order_actions a WHERE a.order_key = o.key AND a.action = 'resolve' AND a.to_state = 'confirmed') AS resolved_by_operator,
            o.review IS NOT NULL AS review
       FROM orders o WHERE ${w.sql}
      ORDER BY o.confirmed_at, o.key`,
    w.params,
    { batchSize, highWaterMark: batchSize },
  );
}
