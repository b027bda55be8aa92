/**
 * Two connected in-memory Duplex ends, like a socket pair: what one writes
 * the other reads, ending one side's writable ends the other's readable, and
 * a full reader holds back the writer. Delivery is asynchronous (setImmediate)
 * so, as with a real socket, a write never runs the peer's handlers inside
 * the writer's call stack. Handy for running a session without sockets.
 */
import { Duplex } from 'node:stream';

type Callback = (error?: Error | null) => void;

class PipeEnd extends Duplex {
  peer: PipeEnd | undefined;
  /** Write completion held back until our peer's reader wants more. */
  private blockedCallback: Callback | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    setImmediate(() => {
      const peer = this.peer;
      // Like a socket whose peer is gone: the bytes vanish.
      if (peer === undefined || peer.destroyed || peer.readableEnded) {
        callback();
        return;
      }
      if (peer.push(chunk)) callback();
      else peer.blockedCallback = callback;
    });
  }

  override _final(callback: Callback): void {
    setImmediate(() => {
      if (this.peer !== undefined && !this.peer.destroyed) this.peer.push(null);
      callback();
    });
  }

  override _read(): void {
    const callback = this.blockedCallback;
    this.blockedCallback = undefined;
    callback?.();
  }

  override _destroy(error: Error | null, callback: Callback): void {
    const blocked = this.blockedCallback;
    this.blockedCallback = undefined;
    blocked?.();
    // The peer sees an abrupt EOF, as after a TCP close.
    const peer = this.peer;
    if (peer !== undefined && !peer.destroyed && !peer.readableEnded) setImmediate(() => peer.push(null));
    callback(error);
  }
}

/** Returns two Duplex ends connected to each other. */
export function duplexPair(): [Duplex, Duplex] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
