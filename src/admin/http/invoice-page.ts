import { previousStockholmDay } from '../../domain/stockholm-date.js';
import { PartnerdError } from '../../errors.js';
import type { DailyReportRow } from '../../finance/daily-report.js';
import type { InvoiceExports } from '../invoice-exports.js';
import { sek } from '../order-view.js';

/** The per-day table is shown up to this many days (a month and then some); the totals always. */
export const INVOICE_PAGE_MAX_DAYS = 62;

interface Counts {
  confirmed: number;
  confirmedTotalOre: number;
  confirmedAsSent: number;
  rejected: number;
  unroutable: number;
}

type Shown = Omit<Counts, 'confirmedTotalOre'> & { total: string };

export interface InvoicePage {
  filter: { from: string; to: string; portal?: string; tenant?: string };
  report: {
    groups: Array<Shown & { portal: string; tenant: string }>;
    all: Shown;
    days?: Array<Shown & { day: string; portal: string; tenant: string }>;
  };
  downloads: { csv: string; excel: string; jsonl: string };
}

/**
 * The console's Invoices page: the daily report over a range (default: this month up to
 * yesterday, Stockholm days), summed per portal and tenant, per day for short ranges, and the
 * links that download the invoice export for the same range and filters.
 */
export async function invoicePage(invoices: InvoiceExports, tenants: readonly string[], query: Record<string, string | undefined>): Promise<InvoicePage> {
  const yesterday = previousStockholmDay();
  const from = query.from?.trim() || `${yesterday.slice(0, 8)}01`;
  const to = query.to?.trim() || yesterday;
  const portal = query.portal || undefined;
  const tenant = query.tenant || undefined;
  if (tenant !== undefined && !tenants.includes(tenant)) throw new PartnerdError('PD_UNKNOWN_TENANT', `${tenant} (configured: ${tenants.join(', ')})`);
  const rows = (await invoices.dailyReport({ from, to, ...(portal ? { portal } : {}) })).filter((r) => tenant === undefined || r.tenant === tenant);

  const groups = new Map<string, Counts & { portal: string; tenant: string }>();
  const all = zero();
  for (const r of rows) {
    const k = `${r.portal}\u0000${r.tenant}`;
    const g = groups.get(k) ?? { portal: r.portal, tenant: r.tenant, ...zero() };
    add(g, r);
    add(all, r);
    groups.set(k, g);
  }
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
  const filter = { from, to, ...(portal ? { portal } : {}), ...(tenant ? { tenant } : {}) };
  const link = (format: 'csv' | 'jsonl', excel = false) => `/console/invoices/export?${new URLSearchParams({ ...filter, format, ...(excel ? { excel: 'true' } : {}) }).toString()}`;
  return {
    filter,
    report: {
      groups: [...groups.values()].sort((a, b) => a.portal.localeCompare(b.portal) || a.tenant.localeCompare(b.tenant)).map((g) => ({ portal: g.portal, tenant: g.tenant, ...shown(g) })),
      all: shown(all),
      ...(days <= INVOICE_PAGE_MAX_DAYS ? { days: rows.map((r) => ({ day: r.day, portal: r.portal, tenant: r.tenant, ...shown(r) })) } : {}),
    },
    downloads: { csv: link('csv'), excel: link('csv', true), jsonl: link('jsonl') },
  };
}

function zero(): Counts {
  return { confirmed: 0, confirmedTotalOre: 0, confirmedAsSent: 0, rejected: 0, unroutable: 0 };
}

function add(to: Counts, r: DailyReportRow): void {
  to.confirmed += r.confirmed;
  to.confirmedTotalOre += r.confirmedTotalOre;
  to.confirmedAsSent += r.confirmedAsSent;
  to.rejected += r.rejected;
  to.unroutable += r.unroutable;
}

function shown(c: Counts): Shown {
  return { confirmed: c.confirmed, confirmedAsSent: c.confirmedAsSent, rejected: c.rejected, unroutable: c.unroutable, total: sek(c.confirmedTotalOre)! };
}
