/** Process facts read from /proc (Linux), and running a harness that prints one JSON object. */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

type StatusKey = 'VmHWM' | 'VmRSS' | 'RssAnon';

const statusValue = (text: string, key: StatusKey): number =>
  Number(new RegExp(`^${key}:\\s*(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);

/** A `<key>: N kB` line of /proc/<pid>/status; 0 when unknown (process gone, not Linux). */
export function procStatusKB(pid: number | 'self', key: StatusKey): number {
  try {
    return statusValue(readFileSync(`/proc/${pid}/status`, 'utf8'), key);
  } catch {
    return 0;
  }
}

/**
 * Samples a process's RssAnon every 50 ms (read on the thread pool, so a
 * measured event loop pays only the callback) and keeps the highest. VmHWM is
 * the peak of every resident page, and for a Node.js process most of those
 * are the node executable's own file pages (clean, shared by every process
 * running it); RssAnon is the memory the process allocated itself. /proc
 * keeps no peak of it: this is a lower bound of the true peak. As
 * interop/go/bench/anon.go does for the Go harness.
 */
export function sampleAnon(pid: number | 'self'): () => number {
  let max = 0;
  let reading = false;
  const read = (): void => {
    if (reading) return;
    reading = true;
    readFile(`/proc/${pid}/status`, 'utf8').then(
      (text) => {
        reading = false;
        max = Math.max(max, statusValue(text, 'RssAnon'));
      },
      () => (reading = false),
    );
  };
  read();
  const timer = setInterval(read, 50).unref();
  return () => {
    clearInterval(timer);
    return Math.max(max, procStatusKB(pid, 'RssAnon'));
  };
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces); [0] is the state. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process (all its threads) in clock ticks; undefined when it is gone. */
export function cpuTicks(pid: number): number | undefined {
  const f = statFields(pid);
  // Fields 14 and 15 of stat(5), utime and stime: indexes 11 and 12 after the name.
  return f ? Number(f[11]) + Number(f[12]) : undefined;
}

let ticks: number | undefined;
/** Clock ticks per second (getconf CLK_TCK; 100 on Linux x86). */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** Parent pid of every process (one scan of /proc). */
function parentPids(): Map<number, number> {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f) parentOf.set(Number(name), Number(f[1]));
  }
  return parentOf;
}

/** Direct children of a process. */
export function childPids(pid: number): number[] {
  return [...parentPids()].filter(([, ppid]) => ppid === pid).map(([child]) => child);
}

/** Every descendant of a process (children first), read from /proc in one scan. */
export function descendantPids(pid: number): number[] {
  const parentOf = parentPids();
  const out: number[] = [];
  for (let i = -1; i < out.length; i++) {
    const parent = i < 0 ? pid : out[i]!;
    for (const [child, ppid] of parentOf) if (ppid === parent) out.push(child);
  }
  return out;
}

/** Children the bench started and that have not exited, with what they run (for the scenario deadline). */
const tracked = new Map<ChildProcess, string>();

/** Keeps `child` in the set killTracked() kills until it exits. */
export function track(child: ChildProcess, command: string, args: readonly string[]): void {
  const line = [basename(command), ...args].join(' ');
  tracked.set(child, line.length > 300 ? `${line.slice(0, 300)}…` : line);
  child.once('exit', () => tracked.delete(child));
}

/**
 * Whether a process runs one of this repository's Go programs (the bench's
 * harness and gateway in bench/dist/cache, the interop hosts and plugins in
 * interop/go/bin). Only those get SIGQUIT: for Node.js its default action is
 * a core dump.
 */
const runsOurGo = (pid: number): boolean => {
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    return /\/(bench\/dist\/cache|interop\/go\/bin)\//.test(exe) && basename(exe) !== 'node';
  } catch {
    return false;
  }
};

/**
 * Kills every tracked child and its descendants; returns what each was
 * running. Our Go programs (harnesses, hosts, plugins) first get SIGQUIT, on
 * which Go prints every goroutine's stack to stderr (a harness's stderr ends
 * up in its runHarness error); everything gets SIGKILL `quitMs` later.
 */
export async function killTracked(quitMs = 1000): Promise<string[]> {
  const killed: string[] = [];
  const pids: number[] = [];
  for (const [child, line] of tracked) {
    const pid = child.pid;
    if (pid === undefined) continue;
    // Read the tree before killing: a killed parent's children move to init, out of reach.
    const below = descendantPids(pid);
    pids.push(pid, ...below);
    killed.push(`${line} (pid ${pid}${below.length > 0 ? ` and ${below.length} descendant(s)` : ''})`);
    tracked.delete(child);
  }
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  const quit = pids.filter(runsOurGo);
  for (const pid of quit) signal(pid, 'SIGQUIT');
  if (quit.length > 0) await new Promise((resolve) => setTimeout(resolve, quitMs));
  for (const pid of pids) signal(pid, 'SIGKILL');
  return killed;
}

/** A bound for the short synchronous tools the bench runs (sha256sum, gpg, unzip, /usr/bin/time): never forever. */
export const SYNC_TOOL_TIMEOUT_MS = 120_000;

export function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/**
 * Peak RSS of this process in kB: its VmHWM, as the Go harness reports it. Not getrusage's maxrss:
 * Linux carries the parent's peak into a child across fork and exec, so a harness spawned by the bench
 * reported the bench's own peak (S6 on Node 24: 200 MB, where the harness itself peaked at 140 MB).
 */
export const selfMaxRssKB = (): number => procStatusKB('self', 'VmHWM') || process.resourceUsage().maxRSS;

export type Json = Record<string, unknown>;

/** How much of a harness's stderr its error keeps: enough for a Go program's goroutine dump. */
const STDERR_KEPT = 64 * 1024;

export interface HarnessRun {
  json: Json;
  /** Wall time of the whole harness process, ms. */
  wallMs: number;
}

/**
 * Runs a harness process (Go or TS) and parses the JSON object it prints.
 * Its stderr is kept for the error message only.
 */
export function runHarness(
  command: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<HarnessRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child, command, args);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-STDERR_KEPT)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${err.trim()}`));
        return;
      }
      try {
        resolve({ json: JSON.parse(out) as Json, wallMs });
      } catch {
        reject(new Error(`${command} ${args.join(' ')} printed no JSON: ${out.slice(0, 500)} ${err}`));
      }
    });
  });
}
