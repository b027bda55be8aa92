/**
 * What /proc tells about a process, to recognise it again after its parent
 * died: a pid alone can be reused, a pid + start time cannot within one boot.
 * Without /proc (macOS, Windows) these return undefined and callers assume
 * the least: a live pid is someone else's and is never signalled.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Fields after the command name of /proc/<pid>/stat (the name may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Start time in clock ticks since boot (stat field 22), unique per pid within one boot. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

let cachedBootId: string | null | undefined;

/** This boot's random id: a start time from another boot says nothing. */
export function bootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId ?? undefined;
}

let cachedPidNamespace: string | null | undefined;

/** Our pid namespace: pids of a host in another container (sharing the temp dir) mean nothing here. */
export function pidNamespace(): string | undefined {
  if (cachedPidNamespace === undefined) {
    try {
      cachedPidNamespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      cachedPidNamespace = null;
    }
  }
  return cachedPidNamespace ?? undefined;
}

/** Whether `pid` exists (EPERM: it does, but belongs to another user). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` runs: exists and is not a zombie waiting for its parent to collect it. */
export function pidRunning(pid: number): boolean {
  return pidExists(pid) && statFields(pid)?.[0] !== 'Z';
}

/** The value of `name` in the environment `pid` was started with; undefined if absent or unreadable. */
export function environValue(pid: number, name: string): string | undefined {
  try {
    const prefix = `${name}=`;
    const entry = readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .find((e) => e.startsWith(prefix));
    return entry?.slice(prefix.length);
  } catch {
    return undefined;
  }
}

/** Every pid in /proc; empty without /proc. */
export function listPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}
