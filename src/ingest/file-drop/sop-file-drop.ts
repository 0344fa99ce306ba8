import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { FieldError } from '../../domain/canonical-order.js';
import { stockholmDateOf } from '../../domain/stockholm-date.js';
import { trimText } from '../../portals/field-rules.js';
import { SOP_HEADER } from '../../portals/sop.js';
import type { PortalIntake } from '../portal-intake.js';
import { readSopFile } from '../payload/read-portal-payload.js';
import { stringifySopCsv, type SopCsvRow, type SopOrderRows } from '../payload/sop-csv.js';
import { ensureSopFolders, moveWithoutOverwrite, sopFolder, writeFileAtomic } from './sop-folders.js';
import { logEvent } from '../../observability/log-event.js';

/**
 * S&P's inbox (sop.md): every complete `*.csv` file is read, its orders go to the portal intake,
 * orders with a bad row are written back to `rejected/NAME.errors.csv`, and the file is moved to
 * `archive/YYYY-MM-DD/NAME.csv` once every valid order in it is stored and queued.
 *
 * Exactly once: the intake knows each S&P order number, so a file read again (after a crash in
 * the middle of it, or uploaded twice, under any name) yields duplicates, never new orders. A file
 * that fails part-way (Redis gone) stays in the inbox and is read again, whole, by the next scan.
 *
 * Unroutable orders (venue or article not configured) are stored by the intake and reported in
 * the receipts: for the file they count as taken, not as rejected rows.
 */

export interface SopFileDropDeps {
  /** The S&P folder (config portals.sop.root). */
  root: string;
  intake: Pick<PortalIntake, 'ingest'>;
  logger: Logger;
  now?: () => Date;
}

export interface SopFileSummary {
  /** The file's name in the inbox. */
  file: string;
  /**
   * archived: processed and moved to the archive; rejected: unusable as a whole (not UTF-8, not
   * CSV, header without a required column), moved to rejected/; failed: stopped part-way (it stays
   * in the inbox for the next scan); gone: another process took it first.
   */
  outcome: 'archived' | 'rejected' | 'failed' | 'gone';
  rows: number;
  orders: number;
  accepted: number;
  duplicate: number;
  unroutable: number;
  /** Orders written to the errors file. */
  rejected: number;
  /** Relative to the root: `archive/2026-11-20/NAME.csv` or `rejected/NAME.csv`. */
  movedTo?: string;
  /** Relative to the root: `rejected/NAME.errors.csv`. */
  errorsFile?: string;
}

export interface ScanSummary {
  files: SopFileSummary[];
}

/** A rejected order: its rows and the problems of each (line → reasons). */
interface RejectedOrder {
  group: SopOrderRows;
  problems: Map<number, string[]>;
}

const ERRORS_COLUMNS = ['Radnummer', 'Fel'] as const;
const JOIN_PROBLEMS = ' | ';

/**
 * The complete `*.csv` files in the inbox, oldest first (modification time, then name). Upload
 * names (`NAME.csv.part`), other extensions, hidden files and folders are left alone.
 */
export async function listSopInbox(root: string): Promise<string[]> {
  const inbox = sopFolder(root, 'inbox');
  const entries = await readdir(inbox, { withFileTypes: true });
  const files: Array<{ name: string; mtimeMs: number }> = [];
  for (const e of entries) {
    if (!e.isFile() || e.name.startsWith('.') || !/\.csv$/i.test(e.name)) continue;
    try {
      files.push({ name: e.name, mtimeMs: (await stat(join(inbox, e.name))).mtimeMs });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return files.map((f) => f.name);
}

/**
 * Reads every complete file in the inbox, oldest first (creating the four folders where missing).
 * A file that fails part-way is logged and left for the next scan; the other files go ahead.
 */
export async function scanSopInbox(deps: SopFileDropDeps): Promise<ScanSummary> {
  await ensureSopFolders(deps.root);
  const files: SopFileSummary[] = [];
  for (const name of await listSopInbox(deps.root)) {
    const summary = emptySummary(name);
    try {
      await processSopFile(deps, name, summary);
    } catch (err) {
      summary.outcome = 'failed';
      logEvent(deps.logger, 'sop.file.failed', { file: name, err: { message: (err as Error).message, code: (err as { code?: unknown }).code }, ...counts(summary) });
    }
    files.push(summary);
  }
  return { files };
}

/**
 * One inbox file, start to end. `summary` is filled in as the file goes, so a caller that catches
 * an error still sees how far it got. Throws when an order could not be stored (the file stays).
 */
export async function processSopFile(deps: SopFileDropDeps, name: string, summary: SopFileSummary = emptySummary(name)): Promise<SopFileSummary> {
  const { root, intake, logger } = deps;
  const now = deps.now?.() ?? new Date();
  const source = join(sopFolder(root, 'inbox'), name);
  const stem = name.replace(/\.csv$/i, '');

  let content: Buffer;
  try {
    content = await readFile(source);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    summary.outcome = 'gone';
    return summary;
  }

  // The same reading `partnerd render sop` does: UTF-8, CSV, header, field counts, adapter.
  const file = readSopFile(content, now);
  if (!file.ok) {
    // Unusable as a whole: say why, and take it out of the inbox so it is not read every scan.
    const line = Number(file.errors[0]!.path);
    const problem = file.errors[0]!.message;
    const errorsFile = `${stem}.errors.csv`;
    const row = [...SOP_HEADER.map(() => ''), String(line), problem];
    await writeFileAtomic(join(sopFolder(root, 'rejected'), errorsFile), stringifySopCsv([[...SOP_HEADER, ...ERRORS_COLUMNS], row]));
    summary.errorsFile = `rejected/${errorsFile}`;
    const moved = await moveWithoutOverwrite(source, sopFolder(root, 'rejected'), name);
    summary.outcome = moved === undefined ? 'gone' : 'rejected';
    if (moved !== undefined) summary.movedTo = `rejected/${moved}`;
    logEvent(logger, 'sop.file.rejected', { file: name, line, reason: problem, movedTo: summary.movedTo });
    return summary;
  }

  summary.rows = file.rows;
  summary.orders = file.orders.length;
  const rejected: RejectedOrder[] = [];

  for (const { group, adapted } of file.orders) {
    if (!adapted.ok) {
      rejected.push({ group, problems: problemsByLine(group, adapted.errors) });
      continue;
    }
    const result = await intake.ingest(adapted.order, { recordInvalid: false, now });
    switch (result.status) {
      case 'accepted':
        summary.accepted++;
        break;
      case 'duplicate':
        summary.duplicate++;
        break;
      case 'unroutable':
        summary.unroutable++;
        break;
      case 'rejected':
        // Only with recordInvalid (not asked for here): stored as rejected, reported in the receipts.
        summary.accepted++;
        break;
      case 'invalid':
        rejected.push({ group, problems: problemsByLine(group, result.errors) });
        break;
    }
  }

  summary.rejected = rejected.length;
  if (rejected.length > 0) {
    const errorsFile = `${stem}.errors.csv`;
    await writeFileAtomic(join(sopFolder(root, 'rejected'), errorsFile), errorsCsv(rejected));
    summary.errorsFile = `rejected/${errorsFile}`;
    for (const r of rejected) {
      logEvent(logger, 'sop.order.rejected', {
        file: name,
        ordernr: r.group.ordernr,
        lines: r.group.rows.map((row) => row.line),
        badLines: [...r.problems.keys()].sort((a, b) => a - b),
      });
    }
  }

  // Every valid order is stored and queued (the intake returned for each): now it may leave the inbox.
  const day = stockholmDateOf(now);
  const moved = await moveWithoutOverwrite(source, join(sopFolder(root, 'archive'), day), name);
  summary.outcome = moved === undefined ? 'gone' : 'archived';
  if (moved !== undefined) summary.movedTo = `archive/${day}/${moved}`;
  logEvent(logger, 'sop.file.processed', { file: name, ...counts(summary), movedTo: summary.movedTo, errorsFile: summary.errorsFile });
  return summary;
}

function emptySummary(file: string): SopFileSummary {
  return { file, outcome: 'failed', rows: 0, orders: 0, accepted: 0, duplicate: 0, unroutable: 0, rejected: 0 };
}

function counts(s: SopFileSummary) {
  return { rows: s.rows, orders: s.orders, accepted: s.accepted, duplicate: s.duplicate, unroutable: s.unroutable, rejected: s.rejected };
}

/**
 * Problems in S&P's own terms, by line. Paths are `{line}:{column}` (the adapter's, and the
 * intake's after it maps them back) or `{line}` (the row as a whole: its number of fields); a
 * problem without a line of this order (the order as a whole, or a path the adapter did not map)
 * is put on the order's first row.
 */
function problemsByLine(group: SopOrderRows, errors: readonly FieldError[]): Map<number, string[]> {
  const lines = new Set(group.rows.map((r) => r.line));
  const first = group.rows[0]!.line;
  const out = new Map<number, string[]>();
  const add = (line: number, text: string) => {
    const list = out.get(line) ?? [];
    if (!list.includes(text)) list.push(text);
    out.set(line, list);
  };
  for (const e of errors) {
    const m = /^(\d+)(?::(.*))?$/.exec(e.path);
    const line = m ? Number(m[1]) : NaN;
    if (m && lines.has(line)) add(line, m[2] ? `${m[2]}: ${e.message}` : e.message);
    else add(first, e.path ? `${e.path}: ${e.message}` : e.message);
  }
  if (out.size === 0) add(first, 'ordern kunde inte läsas');
  return out;
}

/**
 * `rejected/NAME.errors.csv`: S&P's header + Radnummer + Fel; every row of each rejected order, in
 * file order. Of the row itself only its Ordernummer is written, the S&P order id that partnerd's
 * logs and receipts carry too (S&P finds the row by Radnummer in its own file): the errors file is
 * a message about the input, and a message never repeats names, personnummer, addresses, e-mail
 * or phone numbers.
 */
function errorsCsv(rejected: readonly RejectedOrder[]): string {
  const rows: Array<{ row: SopCsvRow; fel: string }> = [];
  for (const { group, problems } of rejected) {
    const bad = [...problems.keys()].sort((a, b) => a - b);
    const others = `ordern avvisad: fel på rad ${bad.join(', ')}`;
    for (const row of group.rows) rows.push({ row, fel: problems.get(row.line)?.join(JOIN_PROBLEMS) ?? others });
  }
  rows.sort((a, b) => a.row.line - b.row.line);
  return stringifySopCsv([
    [...SOP_HEADER, ...ERRORS_COLUMNS],
    ...rows.map(({ row, fel }) => [...SOP_HEADER.map((c) => (c === 'Ordernummer' ? trimText(row.fields.Ordernummer ?? '') : '')), String(row.line), fel]),
  ]);
}
