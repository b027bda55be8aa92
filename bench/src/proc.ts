/** Process facts read from /proc (Linux), and running a harness that prints one JSON object. */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** A `<key>: N kB` line of /proc/<pid>/status; 0 when unknown (process gone, not Linux). */
export function procStatusKB(pid: number | 'self', key: 'VmHWM' | 'VmRSS'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${key}:\\s*(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/** Peak RSS of this process in kB (getrusage, as the Go harness reports it). */
export const selfMaxRssKB = (): number => process.resourceUsage().maxRSS;

export type Json = Record<string, unknown>;

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
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-8000)));
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
