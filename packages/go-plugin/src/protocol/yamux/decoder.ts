/**
 * Splits the session's byte stream into frames. The header is handed to
 * `checkHeader` before any payload is buffered, so a peer announcing a huge
 * Data frame is rejected at once instead of making us buffer it.
 */
import { FrameType, HEADER_SIZE } from './constants.js';
import { decodeHeader } from './frame.js';
import type { FrameHeader } from './frame.js';

export interface FrameHandlers {
  /** Validates a header as soon as it is complete; throws to reject it. */
  checkHeader(header: FrameHeader): void;
  /** A complete frame; `payload` is set for Data frames with a non-zero length. */
  onFrame(header: FrameHeader, payload: Buffer | undefined): void;
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: FrameHeader | undefined;
  private stopped = false;

  constructor(private readonly handlers: FrameHandlers) {}

  /** True while part of a frame has been received but not all of it. */
  get midFrame(): boolean {
    return this.header !== undefined || this.buffered > 0;
  }

  /** Drops buffered bytes and ignores all further input. */
  stop(): void {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
    this.header = undefined;
  }

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // A handler may stop us (session ended) half-way through a chunk.
    while (!this.stopped) {
      if (this.header === undefined) {
        if (this.buffered < HEADER_SIZE) return;
        const header = decodeHeader(this.take(HEADER_SIZE));
        this.handlers.checkHeader(header);
        this.header = header;
      }
      const header = this.header;
      const payloadSize = header.type === FrameType.Data ? header.length : 0;
      if (this.buffered < payloadSize) return;
      const payload = payloadSize > 0 ? this.take(payloadSize) : undefined;
      this.header = undefined;
      this.handlers.onFrame(header, payload);
    }
  }

  /** Removes and returns the next `size` buffered bytes, copying only when they span chunks. */
  private take(size: number): Buffer {
    this.buffered -= size;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= size) {
      if (first.length === size) this.chunks.shift();
      else this.chunks[0] = first.subarray(size);
      return first.subarray(0, size);
    }
    const out = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const next = this.chunks[0];
      if (next === undefined) throw new Error('FrameDecoder: buffered byte count out of sync');
      const used = Math.min(next.length, size - filled);
      next.copy(out, filled, 0, used);
      filled += used;
      if (used === next.length) this.chunks.shift();
      else this.chunks[0] = next.subarray(used);
    }
    return out;
  }
}
