/**
 * The frames a scripted HTTP/2 peer reads off its socket, in order, and a way
 * to wait for the one a test expects (already read or still to come).
 */
import { readFrameHeader } from '../../src/protocol/h2/frames.js';

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export class FrameLog<F extends Frame = Frame> {
  readonly frames: F[] = [];
  private waiters: { pred: (f: F) => boolean; resolve: (f: F) => void }[] = [];
  private buf: Buffer = Buffer.alloc(0);

  /** `describe` adds to each frame what its reader wants (decoded headers, say). */
  constructor(private readonly describe: (f: Frame) => F = (f) => f as F) {}

  /** Takes bytes that follow any preface; whole frames are logged, a partial one waits for the rest. */
  push(bytes: Buffer): void {
    this.buf = this.buf.length === 0 ? bytes : Buffer.concat([this.buf, bytes]);
    while (this.buf.length >= 9) {
      const h = readFrameHeader(this.buf, 0);
      if (this.buf.length < 9 + h.length) return;
      const f = this.describe({
        type: h.type,
        flags: h.flags,
        streamId: h.streamId,
        payload: Buffer.from(this.buf.subarray(9, 9 + h.length)),
      });
      this.buf = this.buf.subarray(9 + h.length);
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(f)) return true;
        w.resolve(f);
        return false;
      });
    }
  }

  /** The first frame (already read or to come) that matches. */
  frame(pred: (f: F) => boolean): Promise<F> {
    const got = this.frames.find(pred);
    if (got) return Promise.resolve(got);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  frameOf(type: number, streamId?: number): Promise<F> {
    return this.frame((f) => f.type === type && (streamId === undefined || f.streamId === streamId));
  }
}
