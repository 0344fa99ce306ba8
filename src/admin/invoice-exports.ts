import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { PartnerdError } from '../errors.js';
import { dailyReport, type DailyReportRow } from '../finance/daily-report.js';
import { exportInvoices, type InvoiceExportSummary, type InvoiceFormat } from '../finance/invoice-export.js';
import type { Database } from '../ledger/database.js';
import { AdminAudit } from './admin-audit.js';
import type { Operator } from './operator.js';
import { parsePortal, parseTenant } from './order-selection.js';

/** What an operator asks the invoice export for (the admin API's query, the console's form). */
export interface InvoiceExportRequest {
  /** First and last Stockholm day (YYYY-MM-DD), both included. */
  from: string;
  to: string;
  portal?: string;
  tenant?: string;
  format: InvoiceFormat;
  excel: boolean;
}

/**
 * Exports running at once in one process. Each holds a database connection for as long as its
 * reader reads (a slow download: minutes); more would take the pool from the workers.
 */
export const MAX_CONCURRENT_EXPORTS = 2;

/**
 * Finance's reads for the admin API and the console: the invoice export (the same rows and bytes
 * as `partnerd export invoices`, src/finance) and the daily report. An export is logged as
 * `admin.export_invoices` with who asked, the range, how it ended and its totals: it carries no
 * personal data, but it is the employer's invoices, so who took them is on record.
 */
/** What finance's reads need (the daemon's Services has all of it). */
export interface InvoiceExportsServices {
  config: Config;
  database: Database;
  logger: Logger;
}

export class InvoiceExports {
  private running = 0;
  private readonly audit: AdminAudit;

  constructor(private readonly services: InvoiceExportsServices, options: { audit?: AdminAudit } = {}) {
    this.audit = options.audit ?? new AdminAudit(services.logger);
  }

  /**
   * Streams the export into `writable` (ended when done). `clientGone`: whether a failure is the
   * reader having gone away (logged as `aborted`, not `failed`).
   */
  async export(op: Operator, request: InvoiceExportRequest, writable: Writable, options: { clientGone?: () => boolean } = {}): Promise<InvoiceExportSummary> {
    const portal = parsePortal(request.portal);
    const tenant = parseTenant(this.services.config, request.tenant);
    if (this.running >= MAX_CONCURRENT_EXPORTS) {
      throw new PartnerdError('PD_BUSY', `${MAX_CONCURRENT_EXPORTS} invoice exports are running already: try again when one has finished`);
    }
    this.running += 1;
    const started = Date.now();
    const fields = {
      actor: op.actor, via: op.via, from: request.from, to: request.to, format: request.format, excel: request.excel,
      ...(portal ? { portal } : {}), ...(tenant ? { tenant } : {}),
    };
    try {
      const summary = await exportInvoices(this.services.database, {
        from: request.from, to: request.to, format: request.format, excel: request.excel, ...(portal ? { portal } : {}), ...(tenant ? { tenant } : {}),
      }, writable);
      this.audit.log('admin.export_invoices', { ...fields, outcome: 'complete', rows: summary.rows, totalIncVatOre: summary.totalIncVatOre, durationMs: Date.now() - started });
      return summary;
    } catch (err) {
      const outcome = options.clientGone?.() ? 'aborted' : 'failed';
      this.audit.log('admin.export_invoices', { ...fields, outcome, durationMs: Date.now() - started, reason: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      this.running -= 1;
    }
  }

  async dailyReport(request: { from: string; to: string; portal?: string }): Promise<DailyReportRow[]> {
    const portal = parsePortal(request.portal);
    return dailyReport(this.services.database, { from: request.from, to: request.to, ...(portal ? { portal } : {}) });
  }
}
