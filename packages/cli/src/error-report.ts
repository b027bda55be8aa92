/**
 * How a failure reaches the CLI's output: always with a stable `code`.
 * Catalog errors keep theirs; gRPC statuses keep Go's name (as `call`
 * documents); everything else gets a fallback: CLI_USAGE for bad command
 * lines, CLI_SYSTEM for operating-system errors (errno and syscall kept),
 * CLI_INTERNAL for the rest (RangeError, TypeError, non-Error throws), with
 * the error's name in the message and its stack in `details`.
 */
import { isCodedError, isRpcError } from '@qplugin/go-plugin/core/internal';

import { stringifyJson } from '@qplugin/quorum/core/internal';
import type { QuorumErrorCode } from '@qplugin/quorum/core/internal';
import { UsageError } from './args.js';
import type { Io } from './output.js';

export interface ErrorReport {
  code: string;
  message: string;
  fix?: string | undefined;
  details?: Readonly<Record<string, unknown>> | undefined;
}

interface SystemErrorLike {
  code: string;
  errno?: number;
  syscall?: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
}

/** Node's system errors (from libuv): a string `E…` code with a syscall or errno. */
function isSystemError(err: unknown): err is Error & SystemErrorLike {
  const e = err as Partial<SystemErrorLike> | null;
  return (
    err instanceof Error &&
    typeof e?.code === 'string' &&
    /^E[A-Z0-9]+$/.test(e.code) &&
    (typeof e.syscall === 'string' || typeof e.errno === 'number')
  );
}

const SYSTEM_FIXES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'Another process listens on that address: pick another port (0 picks a free one) or stop it.',
  EADDRNOTAVAIL: 'The address is not one of this machine’s: listen on 127.0.0.1 or an address it has.',
  EACCES: 'Check the permissions of the path (or use a port above 1023 as a normal user).',
  EPERM: 'The operation is not permitted for this user: check ownership and permissions.',
  ENOENT: 'Check that the path exists (relative paths start from the working directory).',
  ENOTDIR: 'A component of the path is a file, not a directory.',
  EISDIR: 'The path is a directory; give a file.',
  EEXIST: 'The path exists already; remove it or choose another.',
  ENOSPC: 'The disk is full: free some space.',
  EROFS: 'The file system is read-only: choose a writable location.',
  EMFILE: 'Too many open files: raise the limit (ulimit -n).',
  ENFILE: 'Too many open files system-wide: close some or raise the limit.',
  ENAMETOOLONG: 'The path is too long for the file system: shorten it.',
};

const INTERNAL_FIX =
  'This is a qplugin bug: no check anticipated this failure. Please report it with the command line and details.stack.';

/** A thrown value as printable text, even when it has no usable toString. */
function describeValue(value: unknown): string {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function errorReport(err: unknown): ErrorReport {
  if (isCodedError(err)) {
    return { code: err.code, message: err.message, fix: err.fix, details: err.details };
  }
  if (err instanceof UsageError) {
    const code: QuorumErrorCode = 'CLI_USAGE';
    return { code, message: err.message, fix: 'Run the command with --help for its options.' };
  }
  if (isRpcError(err)) {
    return { code: err.codeName, message: err.message, details: { grpcCode: err.code, desc: err.details } };
  }
  if (isSystemError(err)) {
    const code: QuorumErrorCode = 'CLI_SYSTEM';
    const details: Record<string, unknown> = { errno: err.code };
    for (const key of ['syscall', 'path', 'dest', 'address', 'port'] as const) {
      if (err[key] !== undefined) details[key] = err[key];
    }
    return { code, message: err.message, fix: SYSTEM_FIXES[err.code], details };
  }
  const code: QuorumErrorCode = 'CLI_INTERNAL';
  if (err instanceof Error) {
    const details: Record<string, unknown> = { name: err.name, stack: err.stack ?? '' };
    const nodeCode = (err as { code?: unknown }).code;
    if (typeof nodeCode === 'string') details['nodeCode'] = nodeCode;
    return { code, message: `${err.name}: ${err.message}`, fix: INTERNAL_FIX, details };
  }
  return { code, message: `non-Error value thrown: ${describeValue(err)}`, fix: INTERNAL_FIX };
}

/**
 * The `--json` failure document. Details that cannot be serialized (a
 * BigInt, a cycle) are replaced by a note rather than losing the report.
 */
export function errorDocument(report: ErrorReport): string {
  const doc = (details: unknown): unknown => ({
    ok: false,
    error: { code: report.code, message: report.message, fix: report.fix, details },
  });
  const bigints = (_key: string, value: unknown): unknown =>
    typeof value === 'bigint' ? value.toString() : value;
  try {
    return `${stringifyJson(doc(report.details), bigints, 2) ?? ''}\n`;
  } catch (err) {
    const note = `details could not be encoded as JSON: ${err instanceof Error ? err.message : describeValue(err)}`;
    return `${stringifyJson(doc({ unencodable: note }), undefined, 2) ?? ''}\n`;
  }
}

/**
 * Prints a failure: the JSON document on stdout with --json, else the
 * message (and fix) on stderr. `fix` replaces the report's (usage lines).
 */
export function printError(io: Io, command: string, err: unknown, fix?: string): void {
  const report = { ...errorReport(err), ...(fix === undefined ? {} : { fix }) };
  if (io.json) {
    io.stdout.write(errorDocument(report));
    return;
  }
  const text =
    report.code === 'CLI_INTERNAL' && err instanceof Error
      ? (err.stack ?? report.message)
      : report.fix
        ? `${report.message}\nfix: ${report.fix}`
        : report.message;
  io.stderr.write(`qplugin ${command}: ${text}\n`);
}
