import { parse, type CsvError, type InfoRecord } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { trimText } from '../../portals/field-rules.js';
import { decodeUtf8Strict } from './strict-utf8.js';
import { SOP_HEADER, type SopPayload } from '../../portals/sop.js';

/**
 * The S&P CSV conventions (sop.md), reading and writing, in one place.
 *
 * Reading: UTF-8 with an optional byte-order mark, `;` between fields, `"` quotes (a quoted field
 * may hold `;`, line breaks and doubled quotes), CRLF, LF or CR line ends (mixed is fine; CR alone
 * is what Excel's "CSV (Macintosh)" writes), a header row. csv-parse does the splitting; this module
 * only keeps the line numbers and checks the header.
 *
 * Problems are told by line, column and what was expected, never by quoting the file: its cells
 * (and, in a file that is not what it should be, its "header") are names and personnummer.
 *
 * Writing (receipts, errors files): UTF-8 without a byte-order mark (the contract's examples start
 * with the header text), `;` between fields, a field is quoted only when it must be (it holds `;`,
 * `"`, CR or LF; quotes inside are doubled), CRLF after every row including the last.
 */

export const SOP_CSV_DELIMITER = ';';
export const SOP_CSV_RECORD_DELIMITER = '\r\n';

/** One data row of an S&P file. */
export interface SopCsvRow {
  /** 1-based line in the file where the row starts (the header is line 1). */
  line: number;
  /** The fields as read (not trimmed), in file order. */
  cells: string[];
  /** The fields keyed by the (trimmed) header names; a short row lacks the missing columns. */
  fields: Record<string, string>;
  /** A problem with the row itself (wrong number of fields): the row cannot be used. */
  problem?: string;
}

export type SopCsvFile =
  | { ok: true; header: string[]; rows: SopCsvRow[] }
  /** The whole file is unusable: `line` is where the problem is (1 for the header). */
  | { ok: false; kind: 'encoding' | 'syntax' | 'shape'; line: number; problem: string };

/** The rows of one order, in file order; `ordernr` is the trimmed Ordernummer ('' when blank). */
export interface SopOrderRows {
  ordernr: string;
  rows: SopCsvRow[];
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * Parses an S&P order file. A file that is not UTF-8, is not well-formed CSV, or whose header
 * lacks one of SOP_HEADER's columns (or names one twice) is rejected as a whole. Extra columns
 * are allowed and ignored by the adapter; column order does not matter (fields are keyed by
 * name). Empty lines and rows whose every field is blank (spreadsheet tails like `;;;;`) are
 * skipped. A row with more or fewer fields than the header is kept with a `problem` when
 * Ordernummer is the first column; when it is not, that row makes the whole file unusable.
 */
export function parseSopCsv(input: Uint8Array): SopCsvFile {
  const decoded = decodeUtf8Strict(input);
  if (!decoded.ok) {
    const { line, byte } = decoded.error;
    return { ok: false, kind: 'encoding', line, problem: `filen är inte UTF-8 (rad ${line}, byte ${byte})` };
  }
  // csv-parse reads the decoded text (byte-order mark already dropped); line numbers are counted
  // on the same text's bytes.
  const buf = Buffer.from(decoded.text, 'utf8');

  const lines = new LineCounter(buf);
  const records: Array<{ line: number; cells: string[] }> = [];
  let lastEnd = 0;
  try {
    parse(buf, {
      delimiter: SOP_CSV_DELIMITER,
      quote: '"',
      escape: '"',
      // Longest first: CRLF is one line end, not CR and then an empty line.
      record_delimiter: ['\r\n', '\n', '\r'],
      skip_empty_lines: true,
      relax_column_count: true,
      // csv-parse's own `info.lines` counts a CRLF inside a quoted field twice; its byte offsets
      // are exact, so each record's line is worked out from where the previous record ended.
      on_record: (record: string[], context: InfoRecord) => {
        records.push({ line: lines.lineOfNextRecord(lastEnd), cells: record });
        lastEnd = context.bytes;
        return null;
      },
    });
  } catch (err) {
    // The message can quote field values (personal data): only the code and the line are kept.
    const code = (err as CsvError).code ?? 'CSV_ERROR';
    return { ok: false, kind: 'syntax', line: lines.lineOfNextRecord(lastEnd), problem: `filen är inte giltig CSV (${code})` };
  }

  const headerRecord = records[0];
  if (!headerRecord) return { ok: false, kind: 'shape', line: 1, problem: 'filen är tom: rubrikraden saknas' };
  const header = headerRecord.cells.map((c) => trimText(c));
  const problem = headerProblem(header, headerRecord.line);
  if (problem !== undefined) return { ok: false, kind: 'shape', line: headerRecord.line, problem };

  // In a row with a field too many or too few, every cell after the shift is under the wrong
  // column, and where the shift is cannot be told. Only the first cell stands where the header
  // says, so the row's order is known only when Ordernummer is the first column. Otherwise the
  // row's Ordernummer would be whatever shifted into its place (a name, a personnummer: echoed in
  // the errors file and the logs), and the order the row really belongs to could go ahead
  // without this line. Neither is acceptable: the file is rejected as a whole.
  const orderKnownWhenShifted = header.indexOf('Ordernummer') === 0;
  const rows: SopCsvRow[] = [];
  for (const { line, cells } of records.slice(1)) {
    if (cells.every((c) => trimText(c) === '')) continue;
    const fields: Record<string, string> = {};
    header.forEach((name, i) => {
      if (name !== '' && i < cells.length) fields[name] = cells[i]!;
    });
    const row: SopCsvRow = { line, cells, fields };
    if (cells.length !== header.length) {
      row.problem = `raden har ${cells.length} fält, rubrikraden har ${header.length}`;
      if (!orderKnownWhenShifted) {
        return { ok: false, kind: 'shape', line, problem: `${row.problem}, och Ordernummer är inte första kolumnen: radens order går inte att avgöra, så ingen order i filen tas emot` };
      }
    }
    rows.push(row);
  }
  // With Ordernummer first, a field too many in front of it (a leading `;`) or inside it moves the
  // row's real order number into a later cell, and the row reads as another order (often a blank
  // one). That order is rejected, but the one the row belongs to would go ahead without this line:
  // an order delivered in part. So a shifted row holding, anywhere, the Ordernummer of another
  // order of the file cannot be placed either, and the file is rejected. (A row that lost its
  // number altogether names no order at all; nothing in it tells where it belongs.)
  const orderNumbers = new Set(rows.map((r) => trimText(r.fields.Ordernummer ?? '')).filter((n) => n !== ''));
  for (const row of rows) {
    if (row.problem === undefined) continue;
    const own = trimText(row.fields.Ordernummer ?? '');
    if (row.cells.some((c, i) => i > 0 && trimText(c) !== own && orderNumbers.has(trimText(c)))) {
      return { ok: false, kind: 'shape', line: row.line, problem: `${row.problem}, och raden innehåller en annan orders Ordernummer: radens order går inte att avgöra, så ingen order i filen tas emot` };
    }
  }
  return { ok: true, header: headerRecord.cells, rows };
}

/**
 * Why the first row is not S&P's header, or undefined when it is. Only our own column names and
 * column numbers are named: a first row that is not a header is usually a row of personal data.
 */
function headerProblem(header: readonly string[], line: number): string | undefined {
  const missing = SOP_HEADER.filter((c) => !header.includes(c));
  const repeated = header.flatMap((c, i) => (c !== '' && header.indexOf(c) !== i ? [i] : []));
  if (missing.length === 0 && repeated.length === 0) return undefined;
  const details = [`line ${line}`, `expected columns ${SOP_HEADER.join(', ')}`];
  if (missing.length > 0) details.push(`missing ${missing.join(', ')}`);
  for (const i of repeated) {
    const first = header.indexOf(header[i]!) + 1;
    const known = (SOP_HEADER as readonly string[]).includes(header[i]!);
    details.push(known ? `${header[i]} appears twice (columns ${first} and ${i + 1})` : `columns ${first} and ${i + 1} have the same name`);
  }
  return `header row not recognised (${details.join('; ')})`;
}

/**
 * Rows with the same Ordernummer form one order, wherever they stand in the file; orders come in
 * the order of their first row. A row with a blank Ordernummer is an order of its own (the
 * adapter reports the missing number).
 */
export function groupSopOrders(rows: readonly SopCsvRow[]): SopOrderRows[] {
  const byNumber = new Map<string, SopOrderRows>();
  const out: SopOrderRows[] = [];
  for (const row of rows) {
    const ordernr = trimText(row.fields.Ordernummer ?? '');
    const existing = ordernr === '' ? undefined : byNumber.get(ordernr);
    if (existing) {
      existing.rows.push(row);
      continue;
    }
    const group = { ordernr, rows: [row] };
    if (ordernr !== '') byNumber.set(ordernr, group);
    out.push(group);
  }
  return out;
}

/** The S&P adapter's payload for one order: its rows' line numbers and fields. */
export function sopPayload(order: SopOrderRows): SopPayload {
  return { rows: order.rows.map((r) => ({ line: r.line, fields: { ...r.fields } })) };
}

/** Rows → S&P CSV text (see the conventions above). Every row ends with CRLF. */
export function stringifySopCsv(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return stringify(rows as string[][], {
    delimiter: SOP_CSV_DELIMITER,
    record_delimiter: SOP_CSV_RECORD_DELIMITER,
    quote: '"',
    escape: '"',
    quote_record_delimiter: true,
    bom: false,
  });
}

/**
 * Line numbers from byte offsets: the line where the next record starts is the line of the first
 * byte after `offset` that is not a line break (csv-parse skips empty lines silently). Offsets only
 * grow, so the count is carried forward instead of rescanning from the start.
 */
class LineCounter {
  private pos = 0;
  private breaks = 0;

  constructor(private readonly buf: Buffer) {}

  lineOfNextRecord(offset: number): number {
    let start = offset;
    while (start < this.buf.length && (this.buf[start] === CR || this.buf[start] === LF)) start++;
    if (start < this.pos) throw new Error('LineCounter: offsets must not go back');
    for (; this.pos < start; this.pos++) {
      const b = this.buf[this.pos];
      // CRLF, LF and a lone CR each end one line, as they do for the reader.
      if (b === CR || (b === LF && this.buf[this.pos - 1] !== CR)) this.breaks++;
    }
    return this.breaks + 1;
  }
}
