import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type pg from 'pg';
import type { Database } from '../ledger/database.js';
import { asLedgerError } from '../ledger/database.js';
import { PartnerdError } from '../errors.js';
import { invoiceOverview, invoiceRange, invoiceRowStream, type InvoiceFilter, type InvoiceRowData } from './invoice-query.js';
import { amountsOf, csvHeader, csvRecord, InvoiceTotalsCounter, jsonRecord, vatColumnRates, type InvoiceTotals } from './invoice-row.js';

/**
 * The invoice export for reconciliation (`partnerd export invoices`, and the admin API's download):
 * one row per confirmed order in a date range, streamed from PostgreSQL through a server-side
 * cursor into the writable, so memory stays flat whatever the range. Reads one consistent
 * snapshot (REPEATABLE READ, read-only): the row count, the VAT columns and the rows agree.
 *
 * Formats: `csv` (`,`, `.` decimals, CRLF, RFC 4180 quoting), `csv` with `excel` (Swedish Excel:
 * `;`, decimal comma, a UTF-8 byte-order mark, formula-like text neutralised) and `jsonl` (one
 * JSON object per line). No personal data in any of them (see invoice-query.ts).
 */

export type InvoiceFormat = 'csv' | 'jsonl';

export interface InvoiceExportOptions extends InvoiceFilter {
  format?: InvoiceFormat;
  /** CSV for a Swedish Excel: `;`, decimal comma, UTF-8 BOM. */
  excel?: boolean;
  /** Called with (rows written, rows in the range) every `progressEvery` rows and at the end. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
  /** End `writable` when the export is done (default true; false for process.stdout). */
  end?: boolean;
  /** Rows fetched from the cursor at a time (default 200: as fast as 1000, and a third of the heap). */
  batchSize?: number;
}

export interface InvoiceExportSummary extends InvoiceTotals {
  from: string;
  to: string;
  format: InvoiceFormat;
  excel: boolean;
  /** The CSV's VAT columns (rates in percent); every rate present in the range is among them. */
  vatColumns: number[];
}

export async function exportInvoices(
  database: Pick<Database, 'connect'>,
  options: InvoiceExportOptions,
  writable: Writable,
): Promise<InvoiceExportSummary> {
  const format = options.format ?? 'csv';
  const excel = options.excel ?? false;
  if (excel && format !== 'csv') throw new PartnerdError('PD_INVALID_ARGUMENT', '--excel applies to the csv format only');
  const filter: InvoiceFilter = { from: options.from, to: options.to, ...(options.portal ? { portal: options.portal } : {}), ...(options.tenant ? { tenant: options.tenant } : {}) };
  invoiceRange(filter); // a bad range is refused before a connection is taken

  let client: pg.PoolClient;
  try {
    client = await database.connect();
  } catch (err) {
    throw asLedgerError(err, 'the ledger database');
  }
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // A slow reader (a download over a slow line) pauses the cursor between batches: the
    // transaction then idles, for longer than the pool's default allows.
    await client.query(`SET LOCAL idle_in_transaction_session_timeout = '15min'`);
    const overview = await invoiceOverview(client, filter);
    const rates = vatColumnRates(overview.rates);
    const totals = new InvoiceTotalsCounter();
    const every = Math.max(1, options.progressEvery ?? 1_000);
    options.onProgress?.(0, overview.count);

    const toRecords = new Transform({
      objectMode: true,
      transform(row: InvoiceRowData, _enc, done) {
        try {
          const amounts = amountsOf(row);
          totals.add(row, amounts);
          if (totals.count % every === 0) options.onProgress?.(totals.count, overview.count);
          done(null, format === 'csv' ? csvRecord(row, amounts, rates, excel) : `${JSON.stringify(jsonRecord(row, amounts))}\n`);
        } catch (err) {
          done(err as Error);
        }
      },
    });
    const serialise = format === 'csv'
      // csv-stringify puts the byte-order mark before the first record: the header.
      ? stringify({ delimiter: excel ? ';' : ',', record_delimiter: '\r\n', quote: '"', escape: '"', bom: excel })
      : new Transform({ writableObjectMode: true, transform: (line: string, _enc, done) => done(null, line) });
    if (format === 'csv') serialise.write(csvHeader(rates));

    const rows = client.query(invoiceRowStream(filter, options.batchSize));
    try {
      await pipeline(rows, toRecords, serialise, writable, { end: options.end ?? true });
    } catch (err) {
      // The cursor may be cut off mid-stream (the reader went away, or the database did).
      broken = true;
      throw err;
    }
    await client.query('COMMIT');
    options.onProgress?.(totals.count, overview.count);
    return { ...totals.totals(), from: options.from, to: options.to, format, excel, vatColumns: rates };
  } catch (err) {
    if (!broken) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A connection whose cursor was cut off mid-stream is not handed out again.
    client.release(broken);
  }
}
