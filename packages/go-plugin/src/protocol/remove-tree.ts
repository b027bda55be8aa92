/**
 * Removes a directory tree for certain. `rmSync(recursive, force)` on Node
 * >= 23 stops without a word when an entry vanishes under it (another process
 * removing its own file meanwhile, e.g. a plugin unlinking its socket while
 * its host removes the socket directory), leaving the rest behind. Retry
 * until the path is gone.
 */
import { lstatSync, rmSync } from 'node:fs';
import { readdir, rmdir, unlink } from 'node:fs/promises';
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
 * here: scenario 5 of the bench, 100 plugins). Its own walk rather than
 * `fs.promises.rm`, whose option check and rimraf cost the event loop ~0.5 ms
 * per directory in that scenario (bench/findings.md §16). A socket directory
 * is never empty when its host removes it (the owner mark and the plugin
 * record are in it), so the walk lists it first: readdir, one unlink per file,
 * rmdir; no call that fails in the usual case (a failed call costs an Error
 * with its stack: §28).
 */
export async function removeTreeAsync(path: string): Promise<void> {
  for (let i = 0; i < ATTEMPTS; i++) if (await removeOnce(path)) return;
}

const codeOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;
const gone = (err: unknown): boolean => codeOf(err) === 'ENOENT';

/**
 * Removes `path` and what is under it; true once it is gone. An entry that
 * vanishes meanwhile is fine; one that appears makes it false (the caller
 * walks again); any other error stops.
 */
async function removeOnce(path: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(path);
  } catch (err) {
    if (gone(err)) return true;
    if (codeOf(err) !== 'ENOTDIR') throw err;
    await unlink(path).catch(unlessGone);
    return true;
  }
  await Promise.all(names.map((name) => removeEntry(join(path, name))));
  return rmdir(path).then(
    () => true,
    (err: unknown) => {
      if (gone(err)) return true;
      // Something appeared meanwhile.
      if (codeOf(err) === 'ENOTEMPTY' || codeOf(err) === 'EEXIST') return false;
      throw err;
    },
  );
}

function unlessGone(err: unknown): void {
  if (!gone(err)) throw err;
}

/** A file (the usual case: one unlink) or a directory (Linux says EISDIR, POSIX EPERM). */
async function removeEntry(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (gone(err)) return;
    if (codeOf(err) !== 'EISDIR' && codeOf(err) !== 'EPERM') throw err;
    // EPERM can also be a file we may not remove: the walk of it says so (ENOTDIR -> unlink again).
    await removeTreeAsync(path);
  }
}
