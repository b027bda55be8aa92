/**
 * gRPC message framing on an HTTP/2 stream: each message is a 1-byte
 * compressed flag, a 4-byte big-endian length and the bytes. We never offer
 * compression, so a set flag is a protocol error.
 */
import { Status } from './status.js';

export const FRAME_HEADER_BYTES = 5;

/** One frame in one buffer (a single write per message). */
export function encodeFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, FRAME_HEADER_BYTES);
  return frame;
}

/** Why a frame was refused: the gRPC status and its message. */
export interface FrameError {
  code: Status;
  message: string;
}

/** Why a frame with this flag byte and length is refused, if it is. */
export function checkFrameHeader(flag: number, len: number, maxMessageBytes: number): FrameError | undefined {
  if (flag !== 0) {
    return flag === 1
      ? {
          code: Status.INTERNAL,
          message: 'grpc: received a compressed message, but no compression was negotiated',
        }
      : { code: Status.INTERNAL, message: `grpc: invalid message flags 0x${flag.toString(16)}` };
  }
  if (len > maxMessageBytes) {
    return {
      code: Status.RESOURCE_EXHAUSTED,
      message: `grpc: received message larger than max (${len} vs. ${maxMessageBytes})`,
    };
  }
  return undefined;
}

/** The message length if buf[start, end) is exactly one whole frame, else false. */
export function wholeFrameLength(buf: Buffer, start: number, end: number): number | false {
  if (end - start < FRAME_HEADER_BYTES) return false;
  const len = buf.readUInt32BE(start + 1);
  return end - start === FRAME_HEADER_BYTES + len ? len : false;
}

/**
 * Reassembles frames from DATA chunks. Calls `onMessage` per complete
 * message; returns a FrameError (and stops) on a compressed or oversized one.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private need = -1; // length of the message being read; -1 while reading a header
  private failed = false;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly onMessage: (message: Buffer) => void,
  ) {}

  /** Feeds one chunk; returns an error if the stream must be failed. */
  push(chunk: Buffer): FrameError | undefined {
    if (this.failed) return undefined;
    // Fast path: one whole frame in one chunk, nothing pending (the usual unary case).
    const len = this.pendingBytes === 0 && this.need < 0 && wholeFrameLength(chunk, 0, chunk.length);
    if (len !== false) {
      const err = this.checkHeader(chunk[0]!, len);
      if (err) return err;
      this.onMessage(chunk.subarray(FRAME_HEADER_BYTES));
      return undefined;
    }
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    for (;;) {
      if (this.need < 0) {
        if (this.pendingBytes < FRAME_HEADER_BYTES) return undefined;
        const header = this.take(FRAME_HEADER_BYTES);
        const len = header.readUInt32BE(1);
        const err = this.checkHeader(header[0]!, len);
        if (err) return err;
        this.need = len;
      }
      if (this.pendingBytes < this.need) return undefined;
      const message = this.take(this.need);
      this.need = -1;
      this.onMessage(message);
      if (this.failed) return undefined;
    }
  }

  /** True if a message was cut off by the end of the stream. */
  get partial(): boolean {
    return this.pendingBytes > 0 || this.need >= 0;
  }

  private checkHeader(flag: number, len: number): FrameError | undefined {
    const err = checkFrameHeader(flag, len, this.maxMessageBytes);
    if (err) this.failed = true;
    return err;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.pending[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const head = this.pending[0]!;
        const use = Math.min(head.length, n - at);
        head.copy(out, at, 0, use);
        at += use;
        if (use === head.length) this.pending.shift();
        else this.pending[0] = head.subarray(use);
      }
    }
    this.pendingBytes -= n;
    return out;
  }
}
