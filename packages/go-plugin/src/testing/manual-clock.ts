/**
 * A clock that moves only when told to, for testing code that takes a
 * SupervisorClock: backoff delays, crash windows, health intervals and call
 * waits happen at once, in order, when the test advances time.
 */
import type { SupervisorClock, SupervisorTimer } from '../host/supervisor-options.js';

interface Pending {
  at: number;
  seq: number;
  ms: number;
  callback: () => void;
}

export class ManualClock implements SupervisorClock {
  private time: number;
  private seq = 0;
  private readonly pending = new Set<Pending>();

  constructor(start = Date.UTC(2024, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): SupervisorTimer {
    const p: Pending = { at: this.time + Math.max(0, ms), seq: this.seq++, ms, callback };
    this.pending.add(p);
    return { cancel: () => this.pending.delete(p) };
  }

  /** Moves time forward by `ms`, running every timer that falls due, earliest first. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > until) break;
      this.pending.delete(next);
      this.time = next.at;
      next.callback();
    }
    this.time = until;
  }

  /** Timers waiting to fire, earliest first, as the delay each was set with. */
  timers(): number[] {
    return [...this.pending].sort(order).map((p) => p.ms);
  }

  /** ms until the earliest timer fires (undefined when none is pending). */
  nextIn(): number | undefined {
    const next = this.earliest();
    return next && next.at - this.time;
  }

  private earliest(): Pending | undefined {
    return [...this.pending].sort(order)[0];
  }
}

const order = (a: Pending, b: Pending): number => a.at - b.at || a.seq - b.seq;
