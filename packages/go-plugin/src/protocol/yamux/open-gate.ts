/**
 * Limits our un-ACKed outgoing streams to the accept backlog, like
 * hashicorp/yamux's OpenStream does, so we never overflow a peer's backlog
 * (which would reset our streams). open() still returns a stream at once;
 * its SYN, and any data written to it, waits for a free slot.
 */
import { Flag } from './constants.js';
import type { GoPluginError } from '../errors.js';
import { timeoutError } from './failures.js';
import type { YamuxStream } from './stream.js';

export class OpenGate {
  /** Our streams whose SYN is out but not yet ACKed, with their open timers. */
  private readonly inflight = new Map<number, NodeJS.Timeout | undefined>();
  private readonly waiting: YamuxStream[] = [];
  private stopped = false;

  constructor(
    private readonly limit: number,
    /** 0 disables the timeout. */
    private readonly timeoutMs: number,
    private readonly onTimeout: (error: GoPluginError) => void,
  ) {}

  /** Streams still waiting to send their SYN. */
  get pending(): readonly YamuxStream[] {
    return this.waiting;
  }

  /** Sends the stream's SYN now if a slot is free, or once one is. */
  open(stream: YamuxStream): void {
    if (this.inflight.size < this.limit) this.sendSyn(stream);
    else this.waiting.push(stream);
  }

  /** The stream got its ACK, or is gone: free its slot (or its place in the queue). */
  settle(stream: YamuxStream): void {
    const index = this.waiting.indexOf(stream);
    if (index >= 0) this.waiting.splice(index, 1);
    if (!this.inflight.has(stream.id)) return;
    clearTimeout(this.inflight.get(stream.id));
    this.inflight.delete(stream.id);
    while (!this.stopped && this.waiting.length > 0 && this.inflight.size < this.limit) {
      this.sendSyn(this.waiting.shift() as YamuxStream);
    }
  }

  /** Cancels all timers; returns the streams that never sent their SYN. */
  stop(): YamuxStream[] {
    this.stopped = true;
    for (const timer of this.inflight.values()) clearTimeout(timer);
    this.inflight.clear();
    return this.waiting.splice(0);
  }

  private sendSyn(stream: YamuxStream): void {
    let timer: NodeJS.Timeout | undefined;
    const ms = this.timeoutMs;
    if (ms > 0) {
      // Like Go: a peer that never ACKs is considered dead.
      timer = setTimeout(() => {
        this.onTimeout(
          timeoutError(`yamux stream ${stream.id} was not acknowledged by the peer within ${ms} ms`, {
            streamId: stream.id,
            timeoutMs: ms,
          }),
        );
      }, ms);
      timer.unref();
    }
    this.inflight.set(stream.id, timer);
    stream.sendOpen(Flag.SYN);
  }
}
