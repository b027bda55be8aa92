/**
 * Periodic health checks of one plugin process: a ping every interval, each
 * bounded by a timeout (on the supervisor's clock, so tests need not wait);
 * after N misses in a row the process is declared unresponsive.
 */
import type { CallOptions } from '../protocol/rpc-types.js';
import type { SupervisorClock, SupervisorTimer } from './supervisor-options.js';

export interface HealthResult {
  ok: boolean;
  /** Misses in a row so far (0 after a success). */
  misses: number;
  /** Why the check failed. */
  error?: string;
}

export interface HealthMonitorOptions {
  clock: SupervisorClock;
  intervalMs: number;
  timeoutMs: number;
  misses: number;
  ping(options: CallOptions): Promise<void>;
  onResult(result: HealthResult): void;
  /** Called once, after `misses` failed checks in a row; the monitor has stopped. */
  onUnresponsive(misses: number, lastError: string): void;
}

export class HealthMonitor {
  private timer: SupervisorTimer | undefined;
  private inFlight: AbortController | undefined;
  private misses = 0;
  private stopped = false;

  constructor(private readonly o: HealthMonitorOptions) {}

  start(): void {
    if (this.o.intervalMs > 0) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.inFlight?.abort();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => void this.check(), this.o.intervalMs, false);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    const abort = new AbortController();
    this.inFlight = abort;
    const timeoutMs = this.o.timeoutMs;
    const timeout = this.o.clock.setTimeout(() => abort.abort(), timeoutMs, false);
    let error: string | undefined;
    try {
      await this.o.ping({ signal: abort.signal });
    } catch (err) {
      error = abort.signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : err instanceof Error
          ? err.message
          : String(err);
    } finally {
      timeout.cancel();
      this.inFlight = undefined;
    }
    if (this.stopped) return;
    if (error === undefined) {
      this.misses = 0;
      this.o.onResult({ ok: true, misses: 0 });
      this.schedule();
      return;
    }
    this.misses++;
    this.o.onResult({ ok: false, misses: this.misses, error });
    if (this.misses >= this.o.misses) {
      this.stop();
      this.o.onUnresponsive(this.misses, error);
    } else {
      this.schedule();
    }
  }
}
