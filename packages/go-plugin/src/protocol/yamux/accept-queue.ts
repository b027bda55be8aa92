/**
 * Incoming streams on their way to accept(). Up to `capacity` wait in a
 * backlog when nobody is accepting; the session resets any beyond that, as
 * hashicorp/yamux does. A stream is ACKed when it is handed out, so a Go
 * opener's count of un-ACKed streams tracks our backlog.
 */
import { Flag } from './constants.js';
import type { YamuxStream } from './stream.js';

interface Waiter {
  resolve(stream: YamuxStream): void;
  reject(error: Error): void;
}

export class AcceptQueue {
  private readonly backlog: YamuxStream[] = [];
  private readonly waiters: Waiter[] = [];

  constructor(private readonly capacity: number) {}

  /** Whether one more incoming stream can be taken (handed out or queued). */
  get hasRoom(): boolean {
    return this.waiters.length > 0 || this.backlog.length < this.capacity;
  }

  /** Hands the stream to a pending accept(), or queues it. Check hasRoom first. */
  offer(stream: YamuxStream): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.backlog.push(stream);
      return;
    }
    stream.sendOpen(Flag.ACK);
    waiter.resolve(stream);
  }

  /** The oldest queued stream (now ACKed), if any. */
  take(): YamuxStream | undefined {
    const stream = this.backlog.shift();
    stream?.sendOpen(Flag.ACK);
    return stream;
  }

  wait(): Promise<YamuxStream> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Forgets a queued stream that was reset before anyone accepted it. */
  remove(stream: YamuxStream): void {
    const index = this.backlog.indexOf(stream);
    if (index >= 0) this.backlog.splice(index, 1);
  }

  /** Rejects every pending accept() and empties the backlog. */
  close(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    this.backlog.length = 0;
  }
}
