/**
 * A scripted HTTP/2 server over a real TCP socket on 127.0.0.1: it parses
 * what our client sends (preface, frames) and writes whatever bytes a test
 * scripts, including ones no correct server would send. Used to prove each
 * error path of protocol/h2 against a peer, not a mock of one.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect } from 'node:net';

import { H2Connection } from '../../src/protocol/h2/connection.js';
import type { H2ConnectionOptions } from '../../src/protocol/h2/connection.js';
import {
  encodeFrame,
  encodeSettings,
  FrameType,
  PREFACE,
  readFrameHeader,
} from '../../src/protocol/h2/frames.js';

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export class RawPeer {
  /** Every frame our client sent, in order. */
  readonly frames: Frame[] = [];
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private buf = Buffer.alloc(0);
  private prefaceSeen = false;
  prefaceError: string | undefined;

  private constructor(
    readonly server: Server,
    readonly socket: Socket,
    readonly conn: H2Connection,
  ) {
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', () => {}); // the client may reset; the test asserts on frames and calls
  }

  /**
   * A connected client and peer. The peer sends its SETTINGS (`settings`
   * pairs) first unless `sendSettings` is false.
   */
  static async start(
    options: { settings?: [number, number][]; sendSettings?: boolean; client?: H2ConnectionOptions } = {},
  ): Promise<RawPeer> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    const [socket] = await accepted;
    const peer = new RawPeer(server, socket, new H2Connection(client, options.client));
    if (options.sendSettings !== false)
      peer.send(FrameType.SETTINGS, 0, 0, encodeSettings(options.settings ?? []));
    return peer;
  }

  send(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): void {
    this.socket.write(encodeFrame(type, flags, streamId, payload));
  }

  /** Writes raw bytes (a frame header that lies about its length, say). */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The first frame (already received or to come) that matches. */
  frame(pred: (f: Frame) => boolean): Promise<Frame> {
    const got = this.frames.find(pred);
    if (got) return Promise.resolve(got);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  frameOf(type: number, streamId?: number): Promise<Frame> {
    return this.frame((f) => f.type === type && (streamId === undefined || f.streamId === streamId));
  }

  /** Resolves when the client closed the TCP connection. */
  async closed(): Promise<void> {
    if (this.socket.readableEnded || this.socket.destroyed) return;
    await once(this.socket, 'close');
  }

  async stop(): Promise<void> {
    this.conn.close();
    this.socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  private onBytes(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (!this.prefaceSeen) {
      if (this.buf.length < PREFACE.length) return;
      if (!this.buf.subarray(0, PREFACE.length).equals(PREFACE)) this.prefaceError = 'bad preface';
      this.buf = this.buf.subarray(PREFACE.length);
      this.prefaceSeen = true;
    }
    while (this.buf.length >= 9) {
      const h = readFrameHeader(this.buf, 0);
      if (this.buf.length < 9 + h.length) return;
      const f: Frame = {
        type: h.type,
        flags: h.flags,
        streamId: h.streamId,
        payload: Buffer.from(this.buf.subarray(9, 9 + h.length)),
      };
      this.buf = this.buf.subarray(9 + h.length);
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(f)) return true;
        w.resolve(f);
        return false;
      });
    }
  }
}
