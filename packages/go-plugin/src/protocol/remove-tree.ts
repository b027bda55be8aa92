/**
 * Removes a directory tree for certain. `rmSync(recursive, force)` on Node
 * >= 23 stops without a word when an entry vanishes under it (another process
 * removing its own file meanwhile, e.g. a plugin unlinking its socket while
 * its host removes the socket directory), leaving the rest behind. Retry
 * until the path is gone.
 */
import { lstatSync, rmSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const ATTEMPTS = 5;

function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export function removeTree(path: string): void {
  for (let i = 0; i < ATTEMPTS; i++) {
    rmSync(path, { recursive: true, force: true });
    if (!present(path)) return;
  }
}

/**
 * removeTree on the thread pool: a host stopping many plugins at once would
 * otherwise block its event loop on the file system (about 3 ms per plugin
 * here: scenario 5 of the bench, 100 plugins). Its own walk (readdir, unlink,
 * rmdir) rather than `fs.promises.rm`, whose option check and rimraf cost the
 * event loop ~0.5 ms per directory in that scenario (CPU profile,
 * bench/findings.md §16); a socket directory holds a few entries.
 */
export async function removeTreeAsync(path: string): Promise<void> {
  // Most often the directory is empty by now (a plugin removes its own socket as it exits):
  // one rmdir instead of readdir + rmdir + lstat.
  const first = await rmdir(path).then(
    () => undefined,
    (err: unknown) => (err as NodeJS.ErrnoException).code,
  );
  if (first === undefined || first === 'ENOENT') return;
  for (let i = 0; i < ATTEMPTS; i++) {
    await removeEntries(path);
    if (
      !(await lstat(path).then(
        () => true,
        () => false,
      ))
    )
      return;
  }
}

const gone = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Removes `path` and what is under it; an entry that vanishes meanwhile is fine, any other error stops. */
async function removeEntries(path: string): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    if (gone(err)) return;
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    await unlink(path).catch((e: unknown) => {
      if (!gone(e)) throw e;
    });
    return;
  }
  await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? removeEntries(join(path, e.name))
        : unlink(join(path, e.name)).catch((err: unknown) => {
            if (!gone(err)) throw err;
          }),
    ),
  );
  await rmdir(path).catch((err: unknown) => {
    // ENOTEMPTY: something appeared meanwhile; the caller's retry walks again.
    if (!gone(err) && (err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err;
  });
}
