/**
 * A scripted HTTP/2 client over a real TCP socket on 127.0.0.1, for the
 * server side of protocol/h2: it writes whatever frames a test scripts
 * (including ones no correct client would send) and parses what the server
 * answers. Header blocks it receives are decoded with our HPACK decoder.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';

import {
  encodeFrame,
  encodeSettings,
  Flag,
  FrameType,
  PREFACE,
  readFrameHeader,
} from '../../src/protocol/h2/frames.js';
import { encodeHeaderBlock } from '../../src/protocol/h2/hpack-encoder.js';
import { HpackDecoder } from '../../src/protocol/h2/hpack-decoder.js';
import type { Frame } from './h2-peer.js';

export interface DecodedFrame extends Frame {
  /** HEADERS: the decoded fields as [name, value] pairs. */
  fields?: [string, string][];
}

export class RawClient {
  readonly frames: DecodedFrame[] = [];
  private waiters: { pred: (f: DecodedFrame) => boolean; resolve: (f: DecodedFrame) => void }[] = [];
  private buf = Buffer.alloc(0);
  private readonly decoder = new HpackDecoder(4096, 1 << 20);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', () => {});
  }

  /** Connected; with `preface` (default) the preface and an empty SETTINGS are sent. */
  static async connect(
    port: number,
    options: { preface?: boolean; settings?: [number, number][] } = {},
  ): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const c = new RawClient(socket);
    if (options.preface !== false) {
      socket.write(PREFACE);
      c.send(FrameType.SETTINGS, 0, 0, encodeSettings(options.settings ?? []));
    }
    return c;
  }

  send(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): void {
    this.socket.write(encodeFrame(type, flags, streamId, payload));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** HEADERS of a gRPC request for `path` (END_HEADERS; END_STREAM when `end`). */
  request(id: number, path: string, options: { end?: boolean; extra?: [string, string][] } = {}): void {
    const block = encodeHeaderBlock([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', path],
      [':authority', 'localhost'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ...(options.extra ?? []),
    ]);
    this.send(FrameType.HEADERS, Flag.END_HEADERS | (options.end ? Flag.END_STREAM : 0), id, block);
  }

  /** One gRPC message as DATA (END_STREAM unless `end` is false). */
  message(id: number, body: Buffer, end = true): void {
    const m = Buffer.alloc(5 + body.length);
    m.writeUInt32BE(body.length, 1);
    body.copy(m, 5);
    this.send(FrameType.DATA, end ? Flag.END_STREAM : 0, id, m);
  }

  frame(pred: (f: DecodedFrame) => boolean): Promise<DecodedFrame> {
    const got = this.frames.find(pred);
    if (got) return Promise.resolve(got);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  frameOf(type: number, streamId?: number): Promise<DecodedFrame> {
    return this.frame((f) => f.type === type && (streamId === undefined || f.streamId === streamId));
  }

  /** The value of `name` in a frame's decoded fields. */
  static field(f: DecodedFrame, name: string): string | undefined {
    return f.fields?.find(([n]) => n === name)?.[1];
  }

  async closed(): Promise<void> {
    if (this.socket.readableEnded || this.socket.destroyed) return;
    await once(this.socket, 'close');
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onBytes(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 9) {
      const h = readFrameHeader(this.buf, 0);
      if (this.buf.length < 9 + h.length) return;
      const f: DecodedFrame = {
        type: h.type,
        flags: h.flags,
        streamId: h.streamId,
        payload: Buffer.from(this.buf.subarray(9, 9 + h.length)),
      };
      this.buf = this.buf.subarray(9 + h.length);
      if (f.type === FrameType.HEADERS) {
        const flat = this.decoder.decode(f.payload);
        f.fields = [];
        for (let i = 0; i + 1 < flat.length; i += 2) f.fields.push([flat[i]!, flat[i + 1]!]);
      }
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(f)) return true;
        w.resolve(f);
        return false;
      });
    }
  }
}
