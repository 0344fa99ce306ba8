import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

/** The S&P folder layout (sop.md): S&P writes inbox/ and reads rejected/ and outbox/. */
export const SOP_FOLDERS = ['inbox', 'archive', 'rejected', 'outbox'] as const;
export type SopFolder = (typeof SOP_FOLDERS)[number];

export function sopFolder(root: string, folder: SopFolder): string {
  return join(root, folder);
}

/** Creates inbox/, archive/, rejected/ and outbox/ below `root` where missing. */
export async function ensureSopFolders(root: string): Promise<void> {
  for (const folder of SOP_FOLDERS) await mkdir(sopFolder(root, folder), { recursive: true });
}

/**
 * Writes `path` so that a reader sees either the old file or the whole new one, never half of
 * it: the text goes to a hidden temporary name in the same folder (same file system), is flushed,
 * and is renamed over `path`. The temporary file is removed if anything fails. The folder is
 * created if it is missing.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(tmp, text, { encoding: 'utf8', flush: true });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * Moves `source` into `dir` as `name`, never replacing a file already there: `NAME.csv` taken →
 * `NAME-2.csv`, `NAME-3.csv`, …. Returns the name used, or undefined when `source` is gone
 * (another process moved it first). A hard link claims the target atomically (it fails if the
 * name exists); where the file system has no hard links, an existence check and a rename do.
 */
export async function moveWithoutOverwrite(source: string, dir: string, name: string): Promise<string | undefined> {
  await mkdir(dir, { recursive: true });
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${stem}-${n}${ext}`;
    const target = join(dir, candidate);
    try {
      await link(source, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'ENOENT' && !(await exists(source))) return undefined;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV' && code !== 'EOPNOTSUPP') throw err;
      if (await exists(target)) continue;
      try {
        await rename(source, target);
        return candidate;
      } catch (renameErr) {
        if ((renameErr as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(source))) return undefined;
        throw renameErr;
      }
    }
    // Linked: the archive holds the file. Another process may have moved the source meanwhile.
    await unlink(source).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return candidate;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
