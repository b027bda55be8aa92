/**
 * Go's `*fs.PathError` texts (`open doesnotexist: no such file or
 * directory`) for Node's errno errors, because geth's messages embed them.
 */

import { shortText } from './value-tree.js';

const GO_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'file exists',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EMFILE: 'too many open files',
};

function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** The reason part, e.g. `no such file or directory`; falls back to Node's message (which names the path). */
export function goErrnoText(err: unknown): string {
  const code = errnoCode(err);
  const text = code === undefined ? undefined : GO_ERRNO_TEXT[code];
  if (text !== undefined) return text;
  return shortText(err instanceof Error ? err.message : String(err), 400);
}

/** `<op> <path>: <reason>`, a long path shortened; reading a directory fails in Go at `read`, not `open`. */
export function goPathError(op: 'open' | 'mkdir' | 'stat', path: string, err: unknown): string {
  const actualOp = op === 'open' && errnoCode(err) === 'EISDIR' ? 'read' : op;
  return `${actualOp} ${shortText(path)}: ${goErrnoText(err)}`;
}

export function isErrno(err: unknown, code: string): boolean {
  return errnoCode(err) === code;
}
