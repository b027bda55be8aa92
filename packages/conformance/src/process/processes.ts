/**
 * What /proc says about the plugin's processes (Linux): its process group,
 * its descendants, and which of them are still alive later. A process is
 * identified by pid and start time, so a reused pid is never mistaken for a
 * leftover.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  /** One-letter state; `Z` = zombie (already dead). */
  state: string;
  /** Clock ticks since boot when it started. */
  startTime: number;
  cmdline: string;
}

export const procAvailable = (): boolean => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
};

export function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    return {
      pid,
      state: fields[0] ?? '?',
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      startTime: Number(fields[19]),
      cmdline,
    };
  } catch {
    return undefined; // gone while we looked
  }
}

export function listProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const info = readProc(Number(entry));
    if (info) out.push(info);
  }
  return out;
}

/** Every living descendant of `root` (children, their children, …). */
export function descendants(root: number, all: readonly ProcInfo[] = listProcs()): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      if (child.state === 'Z') continue;
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** Living members of a process group. */
export function groupMembers(pgid: number, all: readonly ProcInfo[] = listProcs()): ProcInfo[] {
  return all.filter((p) => p.pgrp === pgid && p.state !== 'Z');
}

/** Whether the very process seen earlier (same pid and start time) still runs. */
export function stillAlive(p: ProcInfo): boolean {
  const now = readProc(p.pid);
  return now !== undefined && now.startTime === p.startTime && now.state !== 'Z';
}

/** SIGKILL, ignoring processes that are already gone. */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
