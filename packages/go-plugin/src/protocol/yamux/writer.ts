/**
 * Writes frames to the transport. Tracks back-pressure so streams can wait
 * for 'drain', and fails the session if the transport takes nothing for
 * connectionWriteTimeout (hashicorp/yamux's "safety valve").
 */
import type { Duplex } from 'node:stream';

import type { FrameType } from './constants.js';
import { timeoutError } from './failures.js';
import type { GoPluginError } from '../errors.js';
import { encodeHeader } from './frame.js';

export class FrameWriter {
  private drainWaiters: Array<() => void> = [];
  private stallTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly socket: Duplex,
    private readonly timeoutMs: number,
    private readonly onStall: (error: GoPluginError) => void,
  ) {
    socket.on('drain', this.onDrain);
  }

  /** Writes one frame; does nothing once stopped or when the transport is gone. */
  send(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): void {
    const socket = this.socket;
    if (this.stopped || socket.destroyed || socket.writableEnded) return;
    const header = encodeHeader(type, flags, streamId, length);
    let ok: boolean;
    if (payload !== undefined && payload.length > 0) {
      // One writev for header and payload, without copying the payload.
      socket.cork();
      socket.write(header);
      ok = socket.write(payload, this.onWritten);
      socket.uncork();
    } else {
      ok = socket.write(header, this.onWritten);
    }
    if (!ok && this.stallTimer === undefined) {
      const ms = this.timeoutMs;
      this.stallTimer = setTimeout(() => {
        this.onStall(
          timeoutError(`yamux connection write timed out: the transport took no data for ${ms} ms`, {
            timeoutMs: ms,
          }),
        );
      }, ms);
      this.stallTimer.unref();
    }
  }

  /** Runs `callback` once the transport wants more data (at once if it does now). */
  afterDrain(callback: () => void): void {
    if (this.stopped || !this.socket.writableNeedDrain) callback();
    else this.drainWaiters.push(callback);
  }

  /** Sends nothing more; releases anyone waiting for 'drain'. */
  stop(): void {
    this.stopped = true;
    this.onDrain();
  }

  /** Each completed write is progress: only a transport that takes nothing times out. */
  private readonly onWritten = (): void => {
    this.stallTimer?.refresh();
  };

  private readonly onDrain = (): void => {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter();
  };
}
