/**
 * Reaping what a host that died left behind (SIGKILL, OOM killer, crash):
 * its plugins' socket directories, the Quorum manager's workspace roots, the
 * sockets of plugins that ignore PLUGIN_UNIX_SOCKET_DIR (go-plugin < 1.5 puts
 * them in $TMPDIR), and the plugins themselves, which Go plugins outlive
 * their host.
 *
 * Safe with several hosts at once: a directory is touched only if it carries
 * our ownership marks and every owner is gone; unmarked or unreadable means
 * "not ours" and is left alone. A process is killed only if it was started
 * with the directory's run token (and, for the plugin itself, has the
 * recorded start time): never a stranger that got a reused pid. Symlinks are
 * never followed (entries are lstat'ed, marks opened O_NOFOLLOW, rm unlinks
 * links). Cost: one readdir of the parent plus a small read per candidate;
 * a /proc scan only when a dead host's plugin has to be looked for.
 */
import { lstatSync, readdirSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { removeStaleSocket } from '../protocol/listener.js';
import {
  MARKED_DIR_PREFIXES,
  OWNER_MARK_PREFIX,
  PLUGIN_RECORD,
  asPluginRecord,
  asProcessMark,
  fromAnotherBoot,
  isRunning,
  readMark,
  runTokenOf,
} from './ownership.js';
import type { PluginRecord } from './ownership.js';
import { listPids, processStartTime } from './proc.js';
import { removeTree } from '../protocol/remove-tree.js';

export interface ReapResult {
  /** Directories removed (their owners are gone). */
  removed: string[];
  /** Orphaned plugin processes (and their children) killed. */
  killed: number[];
}

const uid = (): number | undefined => process.getuid?.();

/**
 * Kills every process started with one of the records' run tokens (one pass
 * over /proc for all of them); a recorded plugin itself must also have its
 * recorded start time.
 */
function killOrphans(records: readonly PluginRecord[]): number[] {
  const byToken = new Map(records.filter((r) => !fromAnotherBoot(r)).map((r) => [r.token, r]));
  if (byToken.size === 0) return [];
  const killed: number[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const token = runTokenOf(pid);
    const record = token === undefined ? undefined : byToken.get(token);
    if (!record || (pid === record.pid && processStartTime(pid) !== record.start)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}

/** Removes a socket the plugin put outside its directory, if it is one of ours and a socket. */
function removeOutsideSocket(path: string): void {
  try {
    const st = lstatSync(path);
    if (!st.isSocket() || (uid() !== undefined && st.uid !== uid())) return;
  } catch {
    return;
  }
  removeStaleSocket(path);
}

/** A directory all of whose owners are gone, and the plugin it records. */
interface Leftover {
  dir: string;
  record?: PluginRecord;
}

function leftoverAt(dir: string): Leftover | undefined {
  let names: string[];
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory() || (uid() !== undefined && st.uid !== uid())) return undefined;
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const owners = names.filter((n) => n.startsWith(OWNER_MARK_PREFIX));
  // No mark: not made by us, or its host is writing the mark right now.
  if (owners.length === 0) return undefined;
  for (const name of owners) {
    const owner = asProcessMark(readMark(join(dir, name)));
    if (!owner || isRunning(owner)) return undefined;
  }
  const record = names.includes(PLUGIN_RECORD)
    ? asPluginRecord(readMark(join(dir, PLUGIN_RECORD)))
    : undefined;
  return { dir, record };
}

/** Reaps the marked directories in `parent` whose owners are all gone. Never throws. */
export function reapLeftovers(parent: string): ReapResult {
  const result: ReapResult = { removed: [], killed: [] };
  let entries: Dirent[];
  try {
    entries = readdirSync(parent, { withFileTypes: true });
  } catch {
    return result;
  }
  const prefixes = Object.values(MARKED_DIR_PREFIXES);
  const leftovers: Leftover[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !prefixes.some((p) => entry.name.startsWith(p))) continue;
    const leftover = leftoverAt(join(parent, entry.name));
    if (leftover) leftovers.push(leftover);
  }
  if (leftovers.length === 0) return result;
  result.killed.push(...killOrphans(leftovers.flatMap((l) => (l.record ? [l.record] : []))));
  for (const { dir, record } of leftovers) {
    try {
      if (record?.network === 'unix' && record.address && dirname(record.address) !== dir)
        removeOutsideSocket(record.address);
      removeTree(dir);
      result.removed.push(dir);
    } catch {
      // a directory we could not remove is left for the next host
    }
  }
  return result;
}

const reaped = new Set<string>();

/**
 * Reaps `parent` the first time this process asks for it, then never again
 * (leftovers of hosts that die later are the next host's job); undefined when
 * already done.
 */
export function reapLeftoversOnce(parent: string): ReapResult | undefined {
  const key = resolve(parent);
  if (reaped.has(key)) return undefined;
  reaped.add(key);
  return reapLeftovers(key);
}
