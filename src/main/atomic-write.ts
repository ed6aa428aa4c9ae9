/**
 * Crash-safe whole-file replacement: after a crash at any point the file holds either the old
 * contents or the new ones, never a mix or nothing.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Write to a temporary sibling, fsync it, rename it over `path`, then fsync the folder (the rename). */
export async function writeFileAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.tmp`);
  await rm(tmp, { force: true });
  const handle = await open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncFolder(dir);
}

async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
    if (
      (error as NodeJS.ErrnoException).code !== 'EPERM' &&
      (error as NodeJS.ErrnoException).code !== 'EISDIR'
    )
      throw error;
  } finally {
    await handle.close();
  }
}

/** Move a file aside as evidence (`<path>.corrupt-<stamp>`), never overwriting earlier evidence. */
export async function setAside(path: string, stamp: number): Promise<string> {
  for (let i = 0; ; i++) {
    const target = i === 0 ? `${path}.corrupt-${stamp}` : `${path}.corrupt-${stamp}-${i}`;
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
