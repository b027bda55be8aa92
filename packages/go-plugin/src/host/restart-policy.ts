/**
 * The rules a PluginSupervisor applies after a failure, as pure functions:
 * what counts as a failure, the backoff delay, the crash window, and the
 * words used for an exit status in logs and errors.
 */
import type { ExitInfo } from './process.js';
import type { RestartPolicy } from './supervisor-options.js';

/** Why an incarnation ended without being asked to. */
export type FailureCause =
  | { kind: 'exited'; exit: ExitInfo }
  | { kind: 'unhealthy'; misses: number; error: string }
  | { kind: 'start-failed'; error: Error; exit?: ExitInfo };

/** `killed by SIGKILL`, `exited with code 3`. */
export function describeExit(exit: ExitInfo): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code !== null) return `exited with code ${exit.code}`;
  return 'exited';
}

export function describeCause(cause: FailureCause): string {
  switch (cause.kind) {
    case 'exited':
      return describeExit(cause.exit);
    case 'unhealthy':
      return `unresponsive: ${cause.misses} health checks failed in a row (last: ${cause.error})`;
    case 'start-failed':
      // One line: start errors carry the plugin's last stderr lines.
      return `failed to start: ${cause.error.message.replace(/\s*\n\s*/g, '; ')}`;
  }
}

/** Exit code 0 is the only end that is not a failure. */
export function isFailure(cause: FailureCause): boolean {
  return cause.kind !== 'exited' || cause.exit.code !== 0 || cause.exit.signal !== null;
}

export function wantsRestart(policy: RestartPolicy, cause: FailureCause): boolean {
  return policy === 'always' || (policy === 'on-failure' && isFailure(cause));
}

export interface BackoffOptions {
  initialBackoffMs: number;
  backoffMultiplier: number;
  maxBackoffMs: number;
  backoffJitter: number;
}

/**
 * Delay before restarting after the `crashes`-th crash in the window:
 * initial × multiplier^(crashes-1), capped, then varied by ± jitter (never
 * above the cap). So a plugin that has been stable for a window restarts
 * fast again, and a crash loop slows down.
 */
export function backoffDelay(crashes: number, o: BackoffOptions, random: () => number): number {
  const base = Math.min(o.maxBackoffMs, o.initialBackoffMs * o.backoffMultiplier ** Math.max(0, crashes - 1));
  const jittered = base * (1 + o.backoffJitter * (2 * random() - 1));
  return Math.round(Math.min(o.maxBackoffMs, Math.max(0, jittered)));
}

/** Crash times within a sliding window. */
export class CrashWindow {
  private times: number[] = [];

  constructor(private readonly windowMs: number) {}

  /** Records a crash at `now`; returns how many fall within the window ending at `now`. */
  record(now: number): number {
    this.times.push(now);
    return this.count(now);
  }

  count(now: number): number {
    this.times = this.times.filter((t) => t > now - this.windowMs);
    return this.times.length;
  }

  reset(): void {
    this.times = [];
  }
}
