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
import { encodeFrame, encodeSettings, FrameType, PREFACE } from '../../src/protocol/h2/frames.js';
import { FrameLog } from './frame-log.js';
import type { Frame } from './frame-log.js';

export type { Frame } from './frame-log.js';

export class RawPeer {
  private readonly log = new FrameLog();
  private pending = Buffer.alloc(0);
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

  /** Every frame our client sent, in order. */
  get frames(): Frame[] {
    return this.log.frames;
  }

  /** The first frame (already received or to come) that matches. */
  frame(pred: (f: Frame) => boolean): Promise<Frame> {
    return this.log.frame(pred);
  }

  frameOf(type: number, streamId?: number): Promise<Frame> {
    return this.log.frameOf(type, streamId);
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
    if (this.prefaceSeen) return this.log.push(chunk);
    this.pending = Buffer.concat([this.pending, chunk]);
    if (this.pending.length < PREFACE.length) return;
    if (!this.pending.subarray(0, PREFACE.length).equals(PREFACE)) this.prefaceError = 'bad preface';
    this.prefaceSeen = true;
    this.log.push(this.pending.subarray(PREFACE.length));
  }
}
