/**
 * Crash-safe file operations shared by the durable log (replica and relay stores) and the Electron main
 * process (window list): after a crash at any point a file holds either its old contents or its new ones,
 * never a mix or nothing, and damaged files are kept as evidence instead of being overwritten.
 */
import { constants as fsConstants } from 'node:fs';
import { copyFile, link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Read the written file back before it replaces the old one, and refuse to replace it if it differs. */
  readonly verify?: boolean;
  /** The new file's permission bits (before the umask), e.g. 0o600 for a secret; default 0o666. */
  readonly mode?: number;
}

/**
 * Write to a temporary sibling, fsync it (and check it, with `verify`), rename it over `path`, then fsync
 * the folder so the rename itself is durable. A temporary file left by a crash is simply replaced.
 */
export async function writeFileAtomically(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = temporarySibling(path);
  await rm(tmp, { force: true });
  const handle = await open(tmp, 'wx', options.mode ?? 0o666);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (options.verify === true) {
    const expected = typeof data === 'string' ? Buffer.from(data) : data;
    const written = await readFile(tmp);
    if (!written.equals(expected)) {
      await rm(tmp, { force: true });
      throw new Error(`${path}: the file read back differs from what was written; the old one is kept`);
    }
  }
  await rename(tmp, path);
  await syncFolder(dir);
}

/**
 * Make `target` hold what `source` holds now, atomically (the old `target` stays until the new one is in
 * place): a hard link when the file system has them (no copying), else a synced copy. `source` is never
 * touched, so it never goes missing, not even for a moment.
 */
export async function keepCopyAtomically(source: string, target: string): Promise<void> {
  const tmp = temporarySibling(target);
  await rm(tmp, { force: true });
  try {
    await link(source, tmp);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
    await copyFile(source, tmp, fsConstants.COPYFILE_EXCL);
    const handle = await open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  await rename(tmp, target);
}

/** Fsync a folder, so renames and new files in it survive a power loss. */
export async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EISDIR') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Move a file aside as evidence (`<path>.<label>-<stamp>`, then `-1`, `-2`… so earlier evidence is never
 * overwritten) and return where it went.
 */
export async function setAside(path: string, stamp: number, label = 'damaged'): Promise<string> {
  for (let i = 0; ; i++) {
    const target = i === 0 ? `${path}.${label}-${stamp}` : `${path}.${label}-${stamp}-${i}`;
    try {
      const probe = await open(target, 'wx');
      await probe.close();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    await rename(path, target);
    return target;
  }
}

/** The temporary file a write to `path` goes through: hidden, beside it, one per target. */
function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp`);
}
