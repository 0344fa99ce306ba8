import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import type { Database } from '../../src/ledger/database.js';
import { exportInvoices, type InvoiceExportOptions, type InvoiceExportSummary } from '../../src/finance/invoice-export.js';
import { TEST_API_KEY } from '../../support/pipeline.js';
import { TEST_EMAIL } from '../../support/orders.js';

/** An export into memory: the exact bytes, and the summary. */
export async function exportToBuffer(database: Pick<Database, 'connect'>, options: InvoiceExportOptions): Promise<{ bytes: Buffer; summary: InvoiceExportSummary }> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const summary = await exportInvoices(database, options, sink);
  return { bytes: Buffer.concat(chunks), summary };
}

/** CSV rows as objects keyed by the header (the export's own conventions: `,` or `;`, optional BOM). */
export function csvObjects(bytes: Buffer, delimiter = ','): Array<Record<string, string>> {
  return parse(bytes, { delimiter, bom: true, columns: true, record_delimiter: '\r\n' }) as Array<Record<string, string>>;
}

/**
 * The test personal values (support/orders.ts, the S&P fixtures, the log audit's list) in
 * every spelling: none may appear in an export, in any format.
 */
export const PERSONAL_VALUES = [
  '19111111-1116', '191111111116', '111111-1116', '111111+1116', '1111111116',
  '20121212-1212', '201212121212', '121212-1212', '1212121212',
  TEST_EMAIL, '0731234567', '+46731234567', '073-123 45 67', '0812345', '08-123 45',
  'Tessan', 'Testsson', 'Testgatan', 'Teststad', 'dörren', TEST_API_KEY,
];

/** Every text, varchar and jsonb column of the ledger's tables: where a personal value could hide. */
export async function ledgerTextColumns(client: Pick<pg.Client, 'query'>): Promise<Array<{ table: string; column: string }>> {
  const r = await client.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json')
      ORDER BY table_name, column_name`,
  );
  return r.rows.map((row) => ({ table: row.table_name, column: row.column_name }));
}

/** `table.column` cells that match the pattern (PostgreSQL regular expression), with the row's key where it has one. */
export async function ledgerCellsMatching(url: string, pattern: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const hits: string[] = [];
    for (const { table, column } of await ledgerTextColumns(client)) {
      const r = await client.query(`SELECT count(*)::int AS n FROM "${table}" WHERE "${column}"::text ~ $1`, [pattern]);
      if (r.rows[0].n > 0) hits.push(`${table}.${column} (${r.rows[0].n})`);
    }
    return hits;
  } finally {
    await client.end();
  }
}
