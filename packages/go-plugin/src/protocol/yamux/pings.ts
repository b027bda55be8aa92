/**
 * Session pings: requests carry SYN and an id, replies carry ACK and the same
 * id. Unanswered pings time out after the connection write timeout, as in
 * hashicorp/yamux.
 */
import { performance } from 'node:perf_hooks';

import { GoPluginError } from '../errors.js';
import { Flag, MAX_UINT32 } from './constants.js';

interface PendingPing {
  started: number;
  timer: NodeJS.Timeout;
  resolve(rtt: number): void;
  reject(error: Error): void;
}

export class PingTracker {
  private nextId = 0;
  private readonly pending = new Map<number, PendingPing>();

  constructor(
    /** Writes a Ping frame with these flags and id. */
    private readonly send: (flags: number, id: number) => void,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Resolves with the round-trip time in milliseconds. `background` pings
   * (keepalive) do not hold the process open while they wait.
   */
  ping(background = false): Promise<number> {
    const id = this.nextId;
    this.nextId = id === MAX_UINT32 ? 0 : id + 1;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A late reply is ignored, like hashicorp/yamux does.
        this.pending.delete(id);
        reject(
          new GoPluginError('YAMUX_TIMEOUT', `yamux ping ${id} got no reply within ${this.timeoutMs} ms`, {
            details: { pingId: id, timeoutMs: this.timeoutMs },
          }),
        );
      }, this.timeoutMs);
      if (background) timer.unref();
      this.pending.set(id, { started: performance.now(), timer, resolve, reject });
      this.send(Flag.SYN, id);
    });
  }

  /** Handles an incoming Ping frame: answers requests, settles our own pings. */
  handle(flags: number, id: number): void {
    if ((flags & Flag.SYN) !== 0) {
      this.send(Flag.ACK, id);
      return;
    }
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(performance.now() - entry.started);
  }

  failAll(error: Error): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }
}
