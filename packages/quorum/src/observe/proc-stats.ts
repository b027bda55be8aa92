/**
 * Resident memory and CPU time of a plugin process, where the OS tells us:
 * Linux's /proc. Elsewhere (or for a process that is gone) there is nothing,
 * and the metrics leave the series out rather than inventing a value.
 */
import { readFileSync } from 'node:fs';

export interface ProcessStats {
  residentBytes: number;
  /** User + system time since the process started. */
  cpuSeconds: number;
}

/** USER_HZ: the unit of /proc/<pid>/stat times, 100 on every Linux architecture's user ABI. */
const TICKS_PER_SECOND = 100;

export function processStats(pid: number): ProcessStats | undefined {
  if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    if (!rss || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return { residentBytes: Number(rss[1]) * 1024, cpuSeconds: (utime + stime) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}
