/**
 * A scripted HTTP/2 client over a real TCP socket on 127.0.0.1, for the
 * server side of protocol/h2: it writes whatever frames a test scripts
 * (including ones no correct client would send) and parses what the server
 * answers. Header blocks it receives are decoded with our HPACK decoder.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';

import { encodeFrame, encodeSettings, Flag, FrameType, PREFACE } from '../../src/protocol/h2/frames.js';
import { encodeHeaderBlock } from '../../src/protocol/h2/hpack-encoder.js';
import { HpackDecoder } from '../../src/protocol/h2/hpack-decoder.js';
import { FrameLog } from './frame-log.js';
import type { Frame } from './frame-log.js';

export interface DecodedFrame extends Frame {
  /** HEADERS: the decoded fields as [name, value] pairs. */
  fields?: [string, string][];
}

export class RawClient {
  private readonly decoder = new HpackDecoder(4096, 1 << 20);
  private readonly log = new FrameLog<DecodedFrame>((f) => this.decode(f));

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.log.push(chunk));
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

  /** Every frame the server sent, in order. */
  get frames(): DecodedFrame[] {
    return this.log.frames;
  }

  frame(pred: (f: DecodedFrame) => boolean): Promise<DecodedFrame> {
    return this.log.frame(pred);
  }

  frameOf(type: number, streamId?: number): Promise<DecodedFrame> {
    return this.log.frameOf(type, streamId);
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

  /** HEADERS get their fields decoded (every block, in order: HPACK's table follows them all). */
  private decode(f: Frame): DecodedFrame {
    if (f.type !== FrameType.HEADERS) return f;
    const flat = this.decoder.decode(f.payload);
    const fields: [string, string][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) fields.push([flat[i]!, flat[i + 1]!]);
    return { ...f, fields };
  }
}
