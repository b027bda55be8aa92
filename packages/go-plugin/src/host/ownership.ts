/**
 * Ownership marks in the directories a host creates (a plugin's socket
 * directory, the Quorum manager's workspace root): which host process owns
 * the directory and, for a socket directory, which plugin process runs from
 * it. A later host uses them to tell leftovers of a host that died (SIGKILL,
 * OOM killer) from directories of hosts that are still running.
 *
 * Each owner writes its own file (`.qplugin-owner-<pid>-<random>`), so a
 * client that reattaches from another process can co-own a directory without
 * racing the first owner. Files are written under a temporary name and
 * renamed, so a reader never sees half a mark.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { bootId, environValue, pidExists, pidNamespace, processStartTime } from './proc.js';
import { removeTree } from '../protocol/remove-tree.js';

/** Name prefixes of the directories hosts mark (reap.ts looks only at these). */
export const MARKED_DIR_PREFIXES = {
  /** A plugin's socket directory (go-plugin's own name for it; a Go host's copies carry no mark). */
  socketDir: 'plugin-dir',
  /** A directory owned by a host as a whole, e.g. the Quorum manager's workspace root. */
  hostDir: 'qplugin-host-',
} as const;
export const OWNER_MARK_PREFIX = '.qplugin-owner-';
export const PLUGIN_RECORD = '.qplugin-plugin';
/** Set in every plugin's environment: proves later that a process is the one we started. */
export const RUN_TOKEN_ENV = 'QPLUGIN_RUN_TOKEN';
const MAX_MARK_BYTES = 4096;

/** A process, recognisable again across pid reuse and reboots (where /proc exists). */
export interface ProcessMark {
  pid: number;
  /** Start time in clock ticks since boot. */
  start?: string;
  boot?: string;
  /** Pid namespace the pid belongs to. */
  ns?: string;
}

/** The plugin process started from a socket directory. */
export interface PluginRecord extends ProcessMark {
  /** Value of RUN_TOKEN_ENV in the plugin's environment. */
  token: string;
  /** The address it announced (once the handshake is read): a socket outside the directory is removed too. */
  network?: string;
  address?: string;
}

export function markOf(pid: number): ProcessMark {
  return { pid, start: processStartTime(pid), boot: bootId(), ns: pidNamespace() };
}

let self: ProcessMark | undefined;
function selfMark(): ProcessMark {
  self ??= markOf(process.pid);
  return self;
}

export function newRunToken(): string {
  return randomBytes(16).toString('hex');
}

function writeAtomically(dir: string, name: string, value: unknown): string {
  const tmp = join(dir, `.qplugin-tmp-${randomBytes(6).toString('hex')}`);
  writeFileSync(tmp, JSON.stringify(value), { flag: 'wx', mode: 0o600 });
  const path = join(dir, name);
  renameSync(tmp, path);
  return path;
}

/** Marks `dir` as owned by this process; returns the mark's path (remove it to give up ownership). */
export function markOwner(dir: string): string {
  return writeAtomically(
    dir,
    `${OWNER_MARK_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`,
    selfMark(),
  );
}

/**
 * Makes a private (0700) directory `<parent>/<prefix>XXXXXX` marked as owned
 * by this process: if the process dies without removing it, the next host
 * that reaps `parent` does.
 */
export function makeOwnedDir(parent: string, prefix: string = MARKED_DIR_PREFIXES.hostDir): string {
  const dir = mkdtempSync(join(parent, prefix));
  try {
    markOwner(dir);
  } catch (err) {
    removeTree(dir);
    throw err;
  }
  return dir;
}

export function unmarkOwner(path: string): void {
  rmSync(path, { force: true });
}

export function writePluginRecord(dir: string, record: PluginRecord): void {
  writeAtomically(dir, PLUGIN_RECORD, record);
}

/**
 * Reads a mark written by this user: a regular file (never through a
 * symlink), small, valid JSON. Anything else is undefined.
 */
export function readMark(path: string): Record<string, unknown> | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_MARK_BYTES) return undefined;
    if (process.getuid && st.uid !== process.getuid()) return undefined;
    const value: unknown = JSON.parse(readFileSync(fd, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A mark's process fields, or undefined when they are not what we write. */
export function asProcessMark(value: Record<string, unknown> | undefined): ProcessMark | undefined {
  if (!value || !Number.isSafeInteger(value.pid) || (value.pid as number) <= 0) return undefined;
  const optional = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    pid: value.pid as number,
    start: optional(value.start),
    boot: optional(value.boot),
    ns: optional(value.ns),
  };
}

export function asPluginRecord(value: Record<string, unknown> | undefined): PluginRecord | undefined {
  const mark = asProcessMark(value);
  if (!mark || typeof value!.token !== 'string' || !/^[0-9a-f]{32}$/.test(value!.token)) return undefined;
  const optional = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    ...mark,
    token: value!.token,
    network: optional(value!.network),
    address: optional(value!.address),
  };
}

/** Whether the mark was made in another boot (so nothing it names runs any more). */
export function fromAnotherBoot(mark: ProcessMark): boolean {
  const boot = bootId();
  return mark.boot !== undefined && boot !== undefined && mark.boot !== boot;
}

/**
 * Whether the marked process still runs. Unsure counts as running: a live pid
 * whose start time cannot be read is assumed to be the same process, and a
 * pid of another pid namespace (a host in another container sharing the temp
 * dir) cannot be checked at all.
 */
export function isRunning(mark: ProcessMark): boolean {
  if (fromAnotherBoot(mark)) return false;
  if (mark.ns !== pidNamespace()) return true;
  if (!pidExists(mark.pid)) return false;
  const start = processStartTime(mark.pid);
  if (start === undefined || mark.start === undefined) return true;
  return start === mark.start;
}

/** The run token `pid` was started with, if any. */
export function runTokenOf(pid: number): string | undefined {
  return environValue(pid, RUN_TOKEN_ENV);
}
