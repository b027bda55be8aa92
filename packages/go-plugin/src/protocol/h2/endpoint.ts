/**
 * The state and sending side of an HTTP/2 connection, shared by both roles
 * (connection.ts adds reading the peer's frames): settings and windows,
 * the stream table, opening streams and pumping their bytes out as the
 * windows allow, headers and trailers, resets, GOAWAY and the connection's
 * end. The writes of one event loop turn are coalesced into one transport
 * write (flushed in a microtask).
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import { H2Code, H2Error } from './errors.js';
import type { H2ErrorCode } from './errors.js';
import {
  DEFAULT_WINDOW,
  encodeFrame,
  encodeSettings,
  Flag,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
  PREFACE,
  Setting,
  uint32,
  writeFrameHeader,
} from './frames.js';
import { H2Stream } from './stream.js';
import { StreamTable } from './stream-table.js';

export interface H2ConnectionOptions {
  /** Which end we are. Default 'client'. */
  role?: 'client' | 'server';
  /**
   * Server: streams the client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). Default 1,024: with
   * the 64 KiB header cap, what a client's open streams can hold in headers stays within 64 MiB (node:http2's
   * maxSessionMemory default). gRPC clients queue calls past it.
   */
  maxConcurrentStreams?: number;
  /** Cap on a received header block, compressed and decoded; advertised as SETTINGS_MAX_HEADER_LIST_SIZE. Default 64 KiB. */
  maxHeaderListBytes?: number;
  /** Our receive window per stream and for the connection. Default 8 MiB: a 4 MiB message never waits for a WINDOW_UPDATE. */
  receiveWindowBytes?: number;
}

/** What a stream's owner (a call) hears. Each stream gets at most one `onEnd`/`onError`, last. */
export interface StreamHandler {
  /** A complete header block; `endStream` when the peer ended the stream with it. */
  onHeaders(fields: string[], endStream: boolean): void;
  /** DATA payload buf[start, end) (a view: copy what you keep past the call). */
  onData(buf: Buffer, start: number, end: number, endStream: boolean): void;
  /** The stream ended without a complete response: reset by the peer, a stream error, or the connection failed. */
  onError(err: H2Error): void;
}

export const DEFAULT_MAX_HEADER_LIST_BYTES = 64 * 1024;
export const DEFAULT_RECEIVE_WINDOW_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_CONCURRENT_STREAMS = 1024;

/** Server: a stream the client opened, with its request header fields; returns who hears the rest of it. */
export type StreamAcceptor = (stream: H2Stream, fields: string[], endStream: boolean) => StreamHandler;
/** We do not raise SETTINGS_MAX_FRAME_SIZE: the peer's frames are at most this. */
export const OUR_MAX_FRAME = MIN_MAX_FRAME_SIZE;
export const OUR_HEADER_TABLE = 4096;
/** How many of our own resets we remember, so DATA still in flight for them is not a STREAM_CLOSED error. */
const RESET_MEMORY = 4096;
/** Bytes waiting in (or for) the socket past which writers of streams are told to wait for 'drain'. */
const SOCKET_HIGH_WATER = 256 * 1024;
export const EMPTY = Buffer.alloc(0);
/** A server stream's handler until its acceptor has given one. */
export const NO_HANDLER: StreamHandler = { onHeaders() {}, onData() {}, onError() {} };

export abstract class H2Endpoint {
  readonly maxHeaderListBytes: number;
  readonly receiveWindow: number;
  /** Frames received, by type 0..9 (diagnostics, and tests that prove a path ran). */
  readonly framesIn = new Uint32Array(10);
  paddedFramesIn = 0;
  /** The peer's settings as they stand. */
  peerMaxConcurrentStreams = Infinity;
  peerInitialWindow = DEFAULT_WINDOW;
  peerMaxFrame = MIN_MAX_FRAME_SIZE;
  peerMaxHeaderList = Infinity;
  connSendWindow = DEFAULT_WINDOW;
  connRecvWindow: number;
  /** Set once the connection takes no new streams (GOAWAY received, failure, close). */
  error: H2Error | undefined;
  /** Called once when the connection is done for (after its streams were failed). */
  onClose: ((err: H2Error) => void) | undefined;
  /** Server: takes each stream the client opens (without it, they are refused). */
  onStream: StreamAcceptor | undefined;
  readonly isServer: boolean;
  readonly maxConcurrentStreams: number;

  /** Not a Map: see stream-table.ts. */
  protected readonly streams = new StreamTable<H2Stream>();
  protected readonly waiting: H2Stream[] = [];
  protected readonly blocked = new Set<H2Stream>();
  protected readonly resetIds = new Set<number>();
  protected nextId = 1;
  /** Server: the highest stream id the client has opened (GOAWAY's last stream id). */
  protected lastPeerId = 0;
  private out: Buffer[] = [];
  private outBytes = 0;
  /** Streams whose writer waits for the socket to drain. */
  private readonly drainWaiters = new Set<H2Stream>();
  private flushScheduled = false;
  protected finished = false;
  /** The peer closed its side of the connection (EOF). */
  private peerEnded = false;
  private readonly flushFn = (): void => this.flush();

  constructor(
    readonly socket: Duplex,
    options: H2ConnectionOptions = {},
  ) {
    this.isServer = options.role === 'server';
    this.maxConcurrentStreams = options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS;
    this.maxHeaderListBytes = options.maxHeaderListBytes ?? DEFAULT_MAX_HEADER_LIST_BYTES;
    this.receiveWindow = options.receiveWindowBytes ?? DEFAULT_RECEIVE_WINDOW_BYTES;
    // The connection window starts at 65,535 whatever SETTINGS say; we only ever raise it.
    this.connRecvWindow = Math.max(this.receiveWindow, DEFAULT_WINDOW);
    const settings = encodeSettings([
      [Setting.HEADER_TABLE_SIZE, OUR_HEADER_TABLE],
      // ENABLE_PUSH is the client's to send; a server's MAX_CONCURRENT_STREAMS bounds what a client opens.
      this.isServer ? [Setting.MAX_CONCURRENT_STREAMS, this.maxConcurrentStreams] : [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, this.receiveWindow],
      [Setting.MAX_HEADER_LIST_SIZE, this.maxHeaderListBytes],
    ]);
    const parts = [encodeFrame(FrameType.SETTINGS, 0, 0, settings)];
    if (!this.isServer) parts.unshift(PREFACE);
    if (this.receiveWindow > DEFAULT_WINDOW) {
      parts.push(encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, uint32(this.receiveWindow - DEFAULT_WINDOW)));
    }
    socket.write(Buffer.concat(parts));
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', (err: Error) =>
      this.fail(new H2Error('CONNECTION_LOST', `connection error: ${err.message}`, H2Code.INTERNAL_ERROR)),
    );
    socket.on('close', () =>
      this.fail(new H2Error('CONNECTION_LOST', 'connection closed', H2Code.INTERNAL_ERROR)),
    );
    socket.on('end', () => {
      this.peerEnded = true;
      this.fail(new H2Error('CONNECTION_LOST', 'connection closed by the peer', H2Code.INTERNAL_ERROR));
    });
    this.setRef(false);
  }

  /** The peer's bytes: frames, as connection.ts reads them. */
  protected abstract onBytes(chunk: Buffer): void;

  /** Streams open or waiting for a slot. */
  get activeStreams(): number {
    return this.streams.size + this.waiting.length;
  }

  /**
   * Opens a stream: `headerBlock` (HPACK) and `body`; with `end` (the
   * default) that is the whole request and END_STREAM follows it, else more
   * comes through the stream's write() and end(). Returns the stream, or the
   * connection's error when it takes no new streams.
   */
  request(headerBlock: Buffer, body: Buffer, handler: StreamHandler, end = true): H2Stream | H2Error {
    if (this.error) return this.error;
    const s = new H2Stream(this, headerBlock, body, handler, end);
    if (this.streams.size === 0 && this.waiting.length === 0) this.setRef(true);
    if (this.streams.size >= this.peerMaxConcurrentStreams) this.waiting.push(s);
    else this.open(s);
    return s;
  }

  /** Sends GOAWAY and closes; every stream fails with CLOSED. Idempotent. */
  close(why = new H2Error('CLOSED', 'connection closed by the client', H2Code.NO_ERROR)): void {
    if (this.finished) return;
    this.queue(this.goawayFrame(H2Code.NO_ERROR));
    this.fail(why);
  }

  /**
   * Ends the connection without a word to the peer (no GOAWAY, no TLS close_notify, no FIN): for a peer
   * known to be gone, such as a plugin whose process has exited. Every stream fails with `why`. Idempotent.
   */
  abandon(why = new H2Error('CONNECTION_LOST', 'the peer is gone', H2Code.NO_ERROR)): void {
    this.peerEnded = true;
    this.fail(why);
  }

  /** GOAWAY naming the last stream we take: none as a client (we accept no pushed streams). */
  private goawayFrame(code: number): Buffer {
    const p = Buffer.allocUnsafe(8);
    p.writeUInt32BE(this.isServer ? this.lastPeerId : 0, 0);
    p.writeUInt32BE(code, 4);
    return encodeFrame(FrameType.GOAWAY, 0, 0, p);
  }

  /**
   * Takes no new streams; closes (GOAWAY NO_ERROR) once those open are done.
   * For rotation before stream ids run out.
   */
  retire(): void {
    if (this.finished) return;
    // A server says so at once: the client opens nothing more here, and knows which streams will finish.
    if (this.isServer && !this.error) this.queue(this.goawayFrame(H2Code.NO_ERROR));
    this.error ??= new H2Error('CLOSED', 'connection retired', H2Code.NO_ERROR);
    if (this.streams.size === 0 && this.waiting.length === 0) this.close();
  }

  /** @internal use {@link H2Stream.reset} */
  resetStream(s: H2Stream, code: number): void {
    if (s.done) return;
    if (s.id !== 0) {
      this.queue(encodeFrame(FrameType.RST_STREAM, 0, s.id, uint32(code)));
      this.rememberReset(s.id);
    }
    this.end(s);
  }

  protected open(s: H2Stream): void {
    if (this.nextId > MAX_WINDOW) {
      // Stream ids are spent: this connection takes no more (the caller makes a new one).
      this.error ??= new H2Error('PROTOCOL', 'stream ids exhausted', H2Code.NO_ERROR);
      s.done = true;
      s.handler.onError(this.error);
      return;
    }
    s.id = this.nextId;
    this.nextId += 2;
    s.sendWindow = this.peerInitialWindow;
    this.streams.set(s.id, s);
    const block = s.headerBlock;
    const body = s.sendQueue[0];
    if (
      body !== undefined &&
      s.localEnd &&
      s.sendQueue.length === 1 &&
      block.length <= this.peerMaxFrame &&
      body.length <= this.peerMaxFrame &&
      body.length <= this.connSendWindow &&
      body.length <= s.sendWindow
    ) {
      // The common case: HEADERS and the whole body in one buffer.
      const b = Buffer.allocUnsafe(2 * FRAME_HEADER_BYTES + block.length + body.length);
      writeFrameHeader(b, 0, block.length, FrameType.HEADERS, Flag.END_HEADERS, s.id);
      block.copy(b, FRAME_HEADER_BYTES);
      const o = FRAME_HEADER_BYTES + block.length;
      writeFrameHeader(b, o, body.length, FrameType.DATA, Flag.END_STREAM, s.id);
      body.copy(b, o + FRAME_HEADER_BYTES);
      this.connSendWindow -= body.length;
      s.sendWindow -= body.length;
      s.sendQueue = [];
      s.queuedBytes = 0;
      s.localEnded = true;
      this.queue(b);
      return;
    }
    for (let off = 0; ;) {
      const n = Math.min(this.peerMaxFrame, block.length - off);
      const last = off + n >= block.length;
      const type = off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      this.queue(encodeFrame(type, last ? Flag.END_HEADERS : 0, s.id, block.subarray(off, off + n)));
      off += n;
      if (last) break;
    }
    this.pump(s);
  }

  /** @internal use {@link H2Stream.write} / {@link H2Stream.end}: sends what it can once the stream is open. */
  pumpStream(s: H2Stream): void {
    if (s.id !== 0 && !s.done && !this.finished) this.pump(s);
  }

  /** @internal use {@link H2Stream.resume}: gives back the window held while paused. */
  replenish(s: H2Stream): void {
    if (s.done || this.finished || s.recvUnacked === 0) return;
    this.queue(encodeFrame(FrameType.WINDOW_UPDATE, 0, s.id, uint32(s.recvUnacked)));
    s.recvWindow += s.recvUnacked;
    s.recvUnacked = 0;
  }

  /** @internal use {@link H2Stream.respond}: a server's response headers (END_STREAM: trailers-only). */
  sendHeaders(s: H2Stream, block: Buffer, endStream: boolean): void {
    if (s.done || this.finished || s.localEnded) return;
    this.queueHeaderBlock(s.id, block, endStream);
    if (endStream) {
      s.localEnd = true;
      s.sendQueue = [];
      s.queuedBytes = 0;
      this.sentEnd(s);
    }
  }

  /**
   * @internal use {@link H2Stream.respondWhole}: a server's whole response
   * (headers, one DATA payload, trailers with END_STREAM) in one buffer when
   * the frame size and both windows allow, else as respond, write and end.
   */
  sendWhole(s: H2Stream, headerBlock: Buffer, body: Buffer, trailers: Buffer): void {
    if (s.done || this.finished || s.localEnded) return;
    const max = this.peerMaxFrame;
    if (
      s.sendQueue.length > 0 ||
      headerBlock.length > max ||
      trailers.length > max ||
      body.length > max ||
      body.length > this.connSendWindow ||
      body.length > s.sendWindow
    ) {
      this.sendHeaders(s, headerBlock, false);
      s.write(body);
      s.end(trailers);
      return;
    }
    const b = Buffer.allocUnsafe(3 * FRAME_HEADER_BYTES + headerBlock.length + body.length + trailers.length);
    writeFrameHeader(b, 0, headerBlock.length, FrameType.HEADERS, Flag.END_HEADERS, s.id);
    let o = FRAME_HEADER_BYTES + headerBlock.copy(b, FRAME_HEADER_BYTES);
    writeFrameHeader(b, o, body.length, FrameType.DATA, 0, s.id);
    o += FRAME_HEADER_BYTES + body.copy(b, o + FRAME_HEADER_BYTES);
    writeFrameHeader(b, o, trailers.length, FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, s.id);
    trailers.copy(b, o + FRAME_HEADER_BYTES);
    this.connSendWindow -= body.length;
    s.sendWindow -= body.length;
    s.localEnd = true;
    this.queue(b);
    this.sentEnd(s);
  }

  /** HEADERS, and CONTINUATION past the peer's frame size. */
  private queueHeaderBlock(id: number, block: Buffer, endStream: boolean): void {
    const endFlag = endStream ? Flag.END_STREAM : 0;
    if (block.length <= this.peerMaxFrame) {
      this.queue(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | endFlag, id, block));
      return;
    }
    for (let off = 0; ;) {
      const n = Math.min(this.peerMaxFrame, block.length - off);
      const last = off + n >= block.length;
      const type = off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      const flags = (last ? Flag.END_HEADERS : 0) | (off === 0 ? endFlag : 0);
      this.queue(encodeFrame(type, flags, id, block.subarray(off, off + n)));
      off += n;
      if (last) return;
    }
  }

  /** END_STREAM has gone out: a server's stream is over (the request, if unfinished, is reset). */
  private sentEnd(s: H2Stream): void {
    s.localEnded = true;
    if (!this.isServer) return;
    if (!s.remoteEnded) {
      this.queue(encodeFrame(FrameType.RST_STREAM, 0, s.id, uint32(H2Code.NO_ERROR)));
      this.rememberReset(s.id);
    }
    this.end(s);
  }

  /** Sends what the windows allow of s's queued bytes; END_STREAM with the last once it ended (or trailers). */
  protected pump(s: H2Stream): void {
    const q = s.sendQueue;
    let ending = false;
    while (q.length > 0) {
      const buf = q[0]!;
      const n = Math.min(buf.length - s.sendOff, this.peerMaxFrame, this.connSendWindow, s.sendWindow);
      if (n <= 0 && buf.length > 0) {
        this.blocked.add(s);
        return;
      }
      const end = s.sendOff + n;
      const last = end === buf.length && q.length === 1 && s.localEnd && s.trailers === undefined;
      this.queue(encodeFrame(FrameType.DATA, last ? Flag.END_STREAM : 0, s.id, buf.subarray(s.sendOff, end)));
      this.connSendWindow -= n;
      s.sendWindow -= n;
      s.queuedBytes -= n;
      if (end === buf.length) {
        q.shift();
        s.sendOff = 0;
      } else s.sendOff = end;
      ending ||= last;
    }
    this.blocked.delete(s);
    if (s.localEnd && !s.localEnded && !ending) {
      if (s.trailers !== undefined) this.queueHeaderBlock(s.id, s.trailers, true);
      else this.queue(encodeFrame(FrameType.DATA, Flag.END_STREAM, s.id, Buffer.alloc(0)));
      ending = true;
    }
    if (ending) {
      this.sentEnd(s);
      if (s.done) return;
    }
    if (s.wantWritable) {
      if (this.congested) this.waitDrain(s);
      else {
        s.wantWritable = false;
        s.onWritable?.();
      }
    }
  }

  protected pumpBlocked(): void {
    for (const s of this.blocked) {
      if (this.connSendWindow <= 0) return;
      this.pump(s);
    }
  }

  /** The socket holds (or is about to get) more than its share: stream writers should wait. */
  get congested(): boolean {
    return this.outBytes + this.socket.writableLength >= SOCKET_HIGH_WATER;
  }

  /** @internal {@link H2Stream.write}: tells the stream's writer once the socket has drained. */
  waitDrain(s: H2Stream): void {
    if (this.drainWaiters.size === 0) this.socket.once('drain', this.onDrain);
    this.drainWaiters.add(s);
  }

  private readonly onDrain = (): void => {
    const waiting = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const s of waiting) {
      // Still held back by flow control: pump() tells it once its queue is out.
      if (s.done || !s.wantWritable || s.queuedBytes > 0) continue;
      s.wantWritable = false;
      s.onWritable?.();
    }
  };

  protected queue(buf: Buffer): void {
    this.out.push(buf);
    this.outBytes += buf.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushFn);
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.socket.destroyed) return;
    this.outBytes = 0;
    this.socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
    out.length = 0; // the array is reused: the socket holds the buffers, not it
  }

  /** Holds the event loop open only while streams are active (net sockets; yamux streams have no ref). */
  private setRef(on: boolean): void {
    if (this.isServer) return; // a server's connections live as long as its listener wants
    const s = this.socket as Duplex & { ref?: () => void; unref?: () => void };
    if (on) s.ref?.();
    else s.unref?.();
  }

  /** Removes a stream that is over; starts waiting ones. */
  protected end(s: H2Stream): void {
    s.done = true;
    if (s.id !== 0) this.streams.delete(s.id);
    else {
      const i = this.waiting.indexOf(s);
      if (i >= 0) this.waiting.splice(i, 1);
    }
    this.blocked.delete(s);
    while (this.waiting.length > 0 && this.streams.size < this.peerMaxConcurrentStreams && !this.error) {
      this.open(this.waiting.shift()!);
    }
    if (this.streams.size === 0 && this.waiting.length === 0) {
      this.setRef(false);
      // After a GOAWAY (or retire) the connection closes once its last stream is done.
      if (this.error) this.close(this.error);
    }
  }

  protected rememberReset(id: number): void {
    this.resetIds.add(id);
    if (this.resetIds.size > RESET_MEMORY) {
      this.resetIds.delete(this.resetIds.values().next().value!);
    }
  }

  /** A stream error: RST_STREAM to the peer, the error to the stream's owner. */
  protected streamError(s: H2Stream, code: H2ErrorCode, message: string, h2Code: number): void {
    this.resetStream(s, h2Code);
    s.handler.onError(new H2Error(code, message, h2Code, 'stream'));
  }

  /** A connection error: GOAWAY with the code, then every stream fails with it. */
  protected connectionError(
    code: H2ErrorCode,
    message: string,
    h2Code: number = H2Code.PROTOCOL_ERROR,
  ): void {
    this.goaway(new H2Error(code, message, h2Code));
  }

  protected goaway(err: H2Error): void {
    if (this.finished) return;
    this.queue(this.goawayFrame(err.h2Code));
    this.fail(err);
  }

  /** The connection is over: every stream, open or waiting, fails with `err`. */
  protected fail(err: H2Error): void {
    if (this.finished) return;
    this.finished = true;
    this.error ??= err;
    const streams = [...this.streams.values(), ...this.waiting.splice(0)];
    this.streams.clear();
    this.blocked.clear();
    for (const s of streams) {
      s.done = true;
      s.handler.onError(err);
    }
    this.setRef(false);
    if (!this.socket.destroyed) {
      if (this.peerEnded && this.socket instanceof Socket) {
        // The peer closed the connection: nothing we write would be read. A graceful end would write
        // TLS's close_notify and shut down a socket whose peer is gone (EPIPE and an Error per
        // connection when a host kills 100 plugins at once: bench/findings.md §28).
        this.socket.destroy();
      } else {
        this.flush(); // a GOAWAY we queued goes out before the FIN
        this.socket.end(() => this.socket.destroy());
      }
    }
    this.onClose?.(err);
  }
}
