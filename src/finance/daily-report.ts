import type { Portal } from '../domain/canonical-order.js';
import type { Queryable } from '../ledger/database.js';
import { invoiceRange } from './invoice-query.js';

/**
 * `partnerd report daily`: per Stockholm day × portal × tenant, how many orders were confirmed
 * and for how much (the same amount the invoice export gives each order: BRP's sum, else the
 * total as sent), and how many were rejected or could not be routed. It is the figure the S&P
 * receipts file (levererad / avvisad) and the invoice export must agree with:
 *
 *   confirmed, confirmedTotalOre   = the export's rows and Σ total_inc_vat_ore for that day
 *                                  = the receipts' `levererad` lines and Σ Belopp (S&P)
 *   rejected + unroutable          = the receipts' `avvisad` lines (S&P)
 *
 * A confirmed order counts on the day it was confirmed; a rejected or unroutable one on the day
 * it reached that outcome (final_at, as the receipts do). Unroutable orders have tenant `~`.
 */

export interface DailyReportRow {
  day: string;
  portal: Portal;
  tenant: string;
  confirmed: number;
  /** Σ total incl. VAT of the confirmed orders, öre. */
  confirmedTotalOre: number;
  /** Confirmed orders whose amount is the total as sent (BRP gave no sums: resolved by an operator, unreadable 2xx). */
  confirmedAsSent: number;
  rejected: number;
  unroutable: number;
}

export interface DailyReportOptions {
  /** First and last Stockholm day, both included. */
  from: string;
  to: string;
  portal?: Portal;
}

const STOCKHOLM = `'Europe/Stockholm'`;

export async function dailyReport(db: Queryable, options: DailyReportOptions): Promise<DailyReportRow[]> {
  const { start, end } = invoiceRange(options);
  const params: unknown[] = [start, end];
  const portal = options.portal ? ` AND portal = $${params.push(options.portal)}` : '';
  const r = await db.query<{
    day: string; portal: Portal; tenant: string; confirmed: string; total: string; as_sent: string; rejected: string; unroutable: string;
  }>(
    `SELECT day, portal, tenant, sum(confirmed)::text AS confirmed, coalesce(sum(amount), 0)::text AS total,
            sum(as_sent)::text AS as_sent, sum(rejected)::text AS rejected, sum(unroutable)::text AS unroutable
       FROM (
         SELECT to_char(confirmed_at AT TIME ZONE ${STOCKHOLM}, 'YYYY-MM-DD') AS day, portal, tenant, 1 AS confirmed,
                coalesce(sum_ore, order_total_ore) AS amount, (sum_ore IS NULL AND order_total_ore IS NOT NULL)::int AS as_sent,
                0 AS rejected, 0 AS unroutable
           FROM orders WHERE state = 'confirmed' AND confirmed_at >= $1 AND confirmed_at < $2${portal}
         UNION ALL
         SELECT to_char(final_at AT TIME ZONE ${STOCKHOLM}, 'YYYY-MM-DD'), portal, tenant, 0, NULL, 0,
                (state = 'rejected')::int, (state = 'unroutable')::int
           FROM orders WHERE state IN ('rejected', 'unroutable') AND final_at >= $1 AND final_at < $2${portal}
       ) x
      GROUP BY day, portal, tenant ORDER BY day, portal, tenant`,
    params,
  );
  return r.rows.map((row) => ({
    day: row.day, portal: row.portal, tenant: row.tenant, confirmed: Number(row.confirmed), confirmedTotalOre: safeNumber(row.total),
    confirmedAsSent: Number(row.as_sent), rejected: Number(row.rejected), unroutable: Number(row.unroutable),
  }));
}

function safeNumber(text: string): number {
  const n = Number(BigInt(text));
  if (!Number.isSafeInteger(n)) throw new RangeError('a report total exceeds 2^53 öre');
  return n;
}
