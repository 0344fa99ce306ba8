import { readdir, readFile, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { normalisePersonnummer } from '../domain/personnummer.js';
import { stockholmDateOf } from '../domain/stockholm-date.js';
import { parseSopCsv, stringifySopCsv, type SopCsvRow } from '../ingest/payload/sop-csv.js';
import { sopFolder, writeFileAtomic } from '../ingest/file-drop/sop-folders.js';
import { trimText } from '../portals/field-rules.js';
import { personnummerPattern } from '../domain/person-hash.js';

/**
 * Personal data in S&P's folder (sop.md): the order files S&P uploads hold name, personnummer,
 * address, e-mail and phone on every row. After the scan they live on in `archive/YYYY-MM-DD/`
 * (as uploaded) and `rejected/` (a file unusable as a whole). `NAME.errors.csv` (each rejected
 * row's Ordernummer, line and problem) and `outbox/` receipts hold no personal data (order
 * numbers, BRP's numbers, amounts, messages); the receipts are S&P's to collect, not ours to keep.
 *
 * Retention deletes the files of archive/, rejected/ and outbox/ that were last written more than
 * `fileDays` ago (never inbox/: those are orders not read yet).
 *
 * Erasure removes the person's rows from every archive/ and rejected/ file: the file is rewritten
 * without them (same name, same CSV conventions, its modification time kept so that retention
 * still counts from when it was written), or deleted when no data row is left. A file that cannot
 * be read as CSV (it was rejected as a whole for that) is deleted if it holds the number anywhere.
 * Files in inbox/ are never changed: they have not been read yet, their orders are not in the
 * ledger yet; erasure reports them and must be run again after the next scan.
 */

export const RETAINED_SOP_FOLDERS = ['archive', 'rejected', 'outbox'] as const;

export interface SopFileRetention {
  /** Relative to the root, e.g. `archive/2026-10-01/orders.csv`. */
  deleted: string[];
  kept: number;
}

/** Deletes (or, in a dry run, lists) the files of archive/, rejected/ and outbox/ last written before `cutoff`. */
export async function deleteExpiredSopFiles(root: string, cutoff: Date, dryRun: boolean): Promise<SopFileRetention> {
  const out: SopFileRetention = { deleted: [], kept: 0 };
  for (const folder of RETAINED_SOP_FOLDERS) {
    const dir = sopFolder(root, folder);
    for (const file of await filesBelow(dir)) {
      const info = await statOrUndefined(file);
      if (!info) continue;
      if (info.mtimeMs >= cutoff.getTime()) {
        out.kept++;
        continue;
      }
      if (!dryRun) await unlinkIfThere(file);
      out.deleted.push(relative(root, file));
    }
    // archive/YYYY-MM-DD/ folders of days before the cutoff go too once empty (never a recent one:
    // a scan may be about to archive a file into it).
    if (!dryRun && folder === 'archive') await removeEmptyDayFolders(dir, stockholmDateOf(cutoff));
  }
  out.deleted.sort();
  return out;
}

/** Whose rows erasure removes: a person (12-digit personnummer) or one order (its Ordernummer). */
export type SopRowMatch = { personnummer: string; now: Date } | { ordernr: string };

export interface SopFileErasure {
  /** Relative to the root. */
  file: string;
  /** rewritten: the rows are gone, the other rows kept; deleted: nothing else was left; pending: in inbox/, not read yet. */
  outcome: 'rewritten' | 'deleted' | 'pending';
  /** Data rows of the person / order in the file (0 for a file that could not be read as CSV). */
  rows: number;
}

/**
 * Removes the matching rows from archive/ and rejected/ (nothing is written in a dry run), and
 * reports the inbox files that hold some. Returns the files concerned, sorted.
 */
export async function eraseFromSopFiles(root: string, match: SopRowMatch, dryRun: boolean): Promise<SopFileErasure[]> {
  const matcher = rowMatcher(match);
  const out: SopFileErasure[] = [];
  for (const folder of ['archive', 'rejected', 'inbox'] as const) {
    for (const file of await filesBelow(sopFolder(root, folder))) {
      if (!/\.csv$/i.test(file)) continue;
      let content: Buffer;
      try {
        content = await readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const name = relative(root, file);
      const parsed = parseSopCsv(content);
      if (!parsed.ok) {
        // Unreadable as CSV: only the number itself can be looked for (never an order number).
        if (!matcher.text || !matcher.text.test(content.toString('latin1'))) continue;
        if (folder === 'inbox') out.push({ file: name, outcome: 'pending', rows: 0 });
        else {
          if (!dryRun) await unlinkIfThere(file);
          out.push({ file: name, outcome: 'deleted', rows: 0 });
        }
        continue;
      }
      const hits = parsed.rows.filter((row) => matcher.row(row));
      if (hits.length === 0) continue;
      if (folder === 'inbox') {
        out.push({ file: name, outcome: 'pending', rows: hits.length });
        continue;
      }
      const rest = parsed.rows.filter((row) => !hits.includes(row));
      if (rest.length === 0) {
        if (!dryRun) await unlinkIfThere(file);
        out.push({ file: name, outcome: 'deleted', rows: hits.length });
        continue;
      }
      if (!dryRun) {
        const before = await stat(file);
        await writeFileAtomic(file, stringifySopCsv([parsed.header, ...rest.map((r) => r.cells)]));
        await utimes(file, before.atime, before.mtime);
      }
      out.push({ file: name, outcome: 'rewritten', rows: hits.length });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

interface RowMatcher {
  row(row: SopCsvRow): boolean;
  /** For text that is not CSV: the number in any spelling. */
  text?: RegExp;
}

function rowMatcher(match: SopRowMatch): RowMatcher {
  if ('ordernr' in match) {
    return { row: (row) => trimText(row.fields.Ordernummer ?? '') === match.ordernr };
  }
  const anywhere = new RegExp(personnummerPattern(match.personnummer));
  return {
    // The Personnummer column in whatever form S&P wrote it, or the number in any other cell.
    row: (row) => {
      const cell = row.fields.Personnummer;
      if (cell !== undefined) {
        const n = normalisePersonnummer(trimText(cell), 'long', match.now);
        if (n.ok && n.value === match.personnummer) return true;
      }
      return row.cells.some((c) => anywhere.test(c));
    },
    text: anywhere,
  };
}

/** Every regular file below `dir` (none when it does not exist); hidden temporary files included. */
async function filesBelow(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesBelow(path)));
    else if (e.isFile()) out.push(path);
  }
  return out.sort();
}

async function removeEmptyDayFolders(dir: string, beforeDay: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    if (!e.isDirectory() || !/^\d{4}-\d{2}-\d{2}$/.test(e.name) || e.name >= beforeDay) continue;
    // Not empty: it stays.
    await rmdir(join(dir, e.name)).catch(() => undefined);
  }
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function unlinkIfThere(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
