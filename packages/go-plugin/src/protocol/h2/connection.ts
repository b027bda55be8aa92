/**
 * One HTTP/2 connection (RFC 9113) over any Duplex: a TLS socket, a plain
 * socket, or a yamux stream; the client side (a host's calls) or the server
 * side (a plugin's services). It replaces node:http2: no per-stream Duplex
 * objects, and the writes of one event loop turn are coalesced into one
 * transport write (flushed in a microtask).
 * A stream's request is either whole at the start (unary calls: HEADERS and
 * DATA in one write) or written in pieces (streaming calls), with a high-water
 * mark telling the writer when to wait; pausing a stream withholds its receive
 * window, which is how a slow reader holds the peer back.
 *
 * It handles SETTINGS/PING ACKs, both directions of flow control (receive
 * windows replenished at half; DATA cut to the peer's frame size and send
 * windows, resumed on WINDOW_UPDATE/SETTINGS), MAX_CONCURRENT_STREAMS (calls
 * past it wait), HEADERS + CONTINUATION with padding and priority fields,
 * RST_STREAM and GOAWAY. As a server it reads the client's preface, takes
 * the streams the client opens (past its MAX_CONCURRENT_STREAMS they are
 * refused), answers with headers, DATA and trailers, and resets a stream whose
 * response ended before its request did (NO_ERROR, as grpc-go does).
 * Everything a peer can get wrong ends as an H2Error:
 * a stream's own failure is given to that stream, a connection error sends
 * GOAWAY and fails every stream.
 */
import type { Duplex } from 'node:stream';

import { H2Code, H2Error, h2CodeName } from './errors.js';
import type { H2ErrorCode } from './errors.js';
import {
  DEFAULT_WINDOW,
  encodeFrame,
  encodeSettings,
  Flag,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
  PREFACE,
  readFrameHeader,
  Setting,
  uint32,
  writeFrameHeader,
} from './frames.js';
import { HpackDecoder } from './hpack-decoder.js';
import { H2Stream } from './stream.js';

export interface H2ConnectionOptions {
  /** Which end we are. Default 'client'. */
  role?: 'client' | 'server';
  /** Server: streams the client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). Default 4096. */
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
export const DEFAULT_MAX_CONCURRENT_STREAMS = 4096;

/** Server: a stream the client opened, with its request header fields; returns who hears the rest of it. */
export type StreamAcceptor = (stream: H2Stream, fields: string[], endStream: boolean) => StreamHandler;
/** We do not raise SETTINGS_MAX_FRAME_SIZE: the peer's frames are at most this. */
const OUR_MAX_FRAME = MIN_MAX_FRAME_SIZE;
const OUR_HEADER_TABLE = 4096;
/** How many of our own resets we remember, so DATA still in flight for them is not a STREAM_CLOSED error. */
const RESET_MEMORY = 4096;
/** Bytes waiting in (or for) the socket past which writers of streams are told to wait for 'drain'. */
const SOCKET_HIGH_WATER = 256 * 1024;
const EMPTY = Buffer.alloc(0);
/** A server stream's handler until its acceptor has given one. */
const NO_HANDLER: StreamHandler = { onHeaders() {}, onData() {}, onError() {} };

export class H2Connection {
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

  readonly decoder: HpackDecoder;
  private readonly streams = new Map<number, H2Stream>();
  private readonly waiting: H2Stream[] = [];
  private readonly blocked = new Set<H2Stream>();
  private readonly resetIds = new Set<number>();
  private nextId = 1;
  /** Server: the highest stream id the client has opened (GOAWAY's last stream id). */
  private lastPeerId = 0;
  /** Server: bytes of the client's preface still to check (24 until it has all come). */
  private prefaceLeft: number;
  private gotSettings = false;
  private connRecvUnacked = 0;
  private rest: Buffer | null = null;
  /** A header block being continued: stream id, the HEADERS flags, fragments, their size. */
  private cont: { id: number; flags: number; parts: Buffer[]; bytes: number } | null = null;
  private out: Buffer[] = [];
  private outBytes = 0;
  /** Streams whose writer waits for the socket to drain. */
  private readonly drainWaiters = new Set<H2Stream>();
  private flushScheduled = false;
  private finished = false;
  private readonly flushFn = (): void => this.flush();

  constructor(
    readonly socket: Duplex,
    options: H2ConnectionOptions = {},
  ) {
    this.isServer = options.role === 'server';
    this.prefaceLeft = this.isServer ? PREFACE.length : 0;
    this.maxConcurrentStreams = options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS;
    this.maxHeaderListBytes = options.maxHeaderListBytes ?? DEFAULT_MAX_HEADER_LIST_BYTES;
    this.receiveWindow = options.receiveWindowBytes ?? DEFAULT_RECEIVE_WINDOW_BYTES;
    // The connection window starts at 65,535 whatever SETTINGS say; we only ever raise it.
    this.connRecvWindow = Math.max(this.receiveWindow, DEFAULT_WINDOW);
    this.decoder = new HpackDecoder(OUR_HEADER_TABLE, this.maxHeaderListBytes);
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
    socket.on('end', () =>
      this.fail(new H2Error('CONNECTION_LOST', 'connection closed by the peer', H2Code.INTERNAL_ERROR)),
    );
    this.setRef(false);
  }

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

  private open(s: H2Stream): void {
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
  private pump(s: H2Stream): void {
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

  private pumpBlocked(): void {
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

  private queue(buf: Buffer): void {
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
    this.out = [];
    this.outBytes = 0;
    this.socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
  }

  /** Holds the event loop open only while streams are active (net sockets; yamux streams have no ref). */
  private setRef(on: boolean): void {
    if (this.isServer) return; // a server's connections live as long as its listener wants
    const s = this.socket as Duplex & { ref?: () => void; unref?: () => void };
    if (on) s.ref?.();
    else s.unref?.();
  }

  /** Removes a stream that is over; starts waiting ones. */
  private end(s: H2Stream): void {
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

  private rememberReset(id: number): void {
    this.resetIds.add(id);
    if (this.resetIds.size > RESET_MEMORY) {
      this.resetIds.delete(this.resetIds.values().next().value!);
    }
  }

  /** A stream error: RST_STREAM to the peer, the error to the stream's owner. */
  private streamError(s: H2Stream, code: H2ErrorCode, message: string, h2Code: number): void {
    this.resetStream(s, h2Code);
    s.handler.onError(new H2Error(code, message, h2Code, 'stream'));
  }

  /** A connection error: GOAWAY with the code, then every stream fails with it. */
  private connectionError(code: H2ErrorCode, message: string, h2Code: number = H2Code.PROTOCOL_ERROR): void {
    this.goaway(new H2Error(code, message, h2Code));
  }

  private goaway(err: H2Error): void {
    if (this.finished) return;
    this.queue(this.goawayFrame(err.h2Code));
    this.fail(err);
  }

  /** The connection is over: every stream, open or waiting, fails with `err`. */
  private fail(err: H2Error): void {
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
      this.flush(); // a GOAWAY we queued goes out before the FIN
      this.socket.end(() => this.socket.destroy());
    }
    this.onClose?.(err);
  }

  private onBytes(chunk: Buffer): void {
    if (this.finished) return;
    let buf = chunk;
    if (this.rest !== null) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let p = 0;
    const n = buf.length;
    if (this.prefaceLeft > 0) {
      const at = PREFACE.length - this.prefaceLeft;
      const take = Math.min(this.prefaceLeft, n);
      if (buf.compare(PREFACE, at, at + take, 0, take) !== 0) {
        return this.connectionError('PROTOCOL', 'the client did not start with the HTTP/2 preface');
      }
      this.prefaceLeft -= take;
      p = take;
    }
    while (n - p >= FRAME_HEADER_BYTES) {
      const h = readFrameHeader(buf, p);
      if (h.length > OUR_MAX_FRAME) {
        return this.connectionError(
          'FRAME_TOO_LARGE',
          `frame of ${h.length} bytes exceeds our SETTINGS_MAX_FRAME_SIZE of ${OUR_MAX_FRAME}`,
          H2Code.FRAME_SIZE_ERROR,
        );
      }
      if (n - p - FRAME_HEADER_BYTES < h.length) break;
      const a = p + FRAME_HEADER_BYTES;
      this.onFrame(h.type, h.flags, h.streamId, buf, a, a + h.length);
      if (this.finished) return;
      p = a + h.length;
    }
    if (p < n) this.rest = buf.subarray(p);
  }

  private onFrame(type: number, flags: number, id: number, buf: Buffer, a: number, b: number): void {
    if (type < 10) this.framesIn[type]!++;
    if (!this.gotSettings && type !== FrameType.SETTINGS) {
      return this.connectionError('PROTOCOL', `first frame is of type ${type}, not SETTINGS`);
    }
    if (this.cont !== null && type !== FrameType.CONTINUATION) {
      return this.connectionError(
        'PROTOCOL',
        `header block of stream ${this.cont.id} interrupted by a frame of type ${type}`,
      );
    }
    switch (type) {
      case FrameType.DATA:
        return this.onData(flags, id, buf, a, b);
      case FrameType.HEADERS:
        return this.onHeaders(flags, id, buf, a, b);
      case FrameType.CONTINUATION:
        return this.onContinuation(flags, id, buf, a, b);
      case FrameType.PRIORITY:
        if (id === 0) return this.connectionError('PROTOCOL', 'PRIORITY on stream 0');
        if (b - a !== 5) return this.frameSize('PRIORITY', b - a);
        return;
      case FrameType.RST_STREAM:
        return this.onRstStream(id, buf, a, b);
      case FrameType.SETTINGS:
        return this.onSettings(flags, id, buf, a, b);
      case FrameType.PUSH_PROMISE:
        return this.connectionError(
          'PROTOCOL',
          this.isServer ? 'PUSH_PROMISE from a client' : 'PUSH_PROMISE, but we disabled push',
        );
      case FrameType.PING:
        if (id !== 0) return this.connectionError('PROTOCOL', `PING on stream ${id}`);
        if (b - a !== 8) return this.frameSize('PING', b - a);
        if (!(flags & Flag.ACK)) this.queue(encodeFrame(FrameType.PING, Flag.ACK, 0, buf.subarray(a, b)));
        return;
      case FrameType.GOAWAY:
        return this.onGoaway(id, buf, a, b);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(id, buf, a, b);
      default:
        return; // unknown frame types are ignored (RFC 9113 section 4.1)
    }
  }

  private frameSize(what: string, length: number): void {
    this.connectionError('FRAME_SIZE', `${what} frame of ${length} bytes`, H2Code.FRAME_SIZE_ERROR);
  }

  /** Strips padding; returns the new end, or -1 after failing the connection. */
  private unpad(what: string, buf: Buffer, a: number, b: number): number {
    if (b - a < 1) {
      this.frameSize(`padded ${what}`, 0);
      return -1;
    }
    this.paddedFramesIn++;
    const pad = buf[a]!;
    if (pad > b - a - 1) {
      this.connectionError('PADDING', `${what} frame with ${pad} bytes of padding in ${b - a - 1}`);
      return -1;
    }
    return b - pad;
  }

  /**
   * A frame for a stream not in the table: ignored (true) if we reset it
   * ourselves, since the peer may have sent it before our RST_STREAM
   * arrived; else a connection error (false).
   */
  private checkNotOpen(what: string, id: number): boolean {
    if (id === 0) {
      this.connectionError('PROTOCOL', `${what} on stream 0`);
      return false;
    }
    if (this.isIdle(id)) {
      this.connectionError('IDLE_STREAM', this.neverOpened(what, id));
      return false;
    }
    if (this.resetIds.has(id)) return true; // we reset it; the peer had not heard yet
    this.connectionError(
      'STREAM_CLOSED',
      `${what} on stream ${id}, which the ${this.peer} had already ended`,
      H2Code.STREAM_CLOSED,
    );
    return false;
  }

  /** A stream id no stream has had yet (or one the peer may never use: a client's ids are odd). */
  private isIdle(id: number): boolean {
    return (id & 1) === 0 || (this.isServer ? id > this.lastPeerId : id >= this.nextId);
  }

  private neverOpened(what: string, id: number): string {
    return `${what} on stream ${id}, which ${this.isServer ? 'the client has not opened' : 'we did not open'}`;
  }

  private get peer(): string {
    return this.isServer ? 'client' : 'server';
  }

  private onData(flags: number, id: number, buf: Buffer, a: number, b: number): void {
    if (id === 0) return this.connectionError('PROTOCOL', 'DATA on stream 0');
    const size = b - a;
    // Connection flow control counts every DATA frame, padding and ignored streams included.
    this.connRecvWindow -= size;
    if (this.connRecvWindow < 0) {
      return this.connectionError(
        'WINDOW_OVERRUN',
        `${this.peer} sent ${-this.connRecvWindow} bytes past the connection window`,
        H2Code.FLOW_CONTROL_ERROR,
      );
    }
    this.connRecvUnacked += size;
    if (this.connRecvUnacked >= Math.max(this.receiveWindow, DEFAULT_WINDOW) / 2) {
      this.queue(encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, uint32(this.connRecvUnacked)));
      this.connRecvWindow += this.connRecvUnacked;
      this.connRecvUnacked = 0;
    }
    if (flags & Flag.PADDED) {
      b = this.unpad('DATA', buf, a, b);
      if (b < 0) return;
      a++;
    }
    const s = this.streams.get(id);
    if (!s) {
      this.checkNotOpen('DATA', id);
      return;
    }
    if (s.remoteEnded) {
      return this.streamError(
        s,
        'STREAM_CLOSED',
        `DATA on stream ${id} after its END_STREAM`,
        H2Code.STREAM_CLOSED,
      );
    }
    s.recvWindow -= size;
    if (s.recvWindow < 0) {
      return this.streamError(
        s,
        'WINDOW_OVERRUN',
        `${this.peer} sent ${-s.recvWindow} bytes past stream ${id}'s window`,
        H2Code.FLOW_CONTROL_ERROR,
      );
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (endStream) this.remoteEnd(s);
    else {
      s.recvUnacked += size;
      if (!s.paused && s.recvUnacked >= this.receiveWindow / 2) {
        this.queue(encodeFrame(FrameType.WINDOW_UPDATE, 0, id, uint32(s.recvUnacked)));
        s.recvWindow += s.recvUnacked;
        s.recvUnacked = 0;
      }
    }
    s.handler.onData(buf, a, b, endStream);
  }

  /**
   * The peer ended its side. A client's stream is over (what we had not sent
   * yet is dropped, with a reset); a server's waits for its response.
   */
  private remoteEnd(s: H2Stream): void {
    s.remoteEnded = true;
    if (this.isServer) {
      if (s.localEnded) this.end(s);
      return;
    }
    if (!s.localEnded) {
      // Answered before our request was all sent (an error status, say): stop sending.
      this.queue(encodeFrame(FrameType.RST_STREAM, 0, s.id, uint32(H2Code.NO_ERROR)));
      this.rememberReset(s.id);
    }
    this.end(s);
  }

  private onHeaders(flags: number, id: number, buf: Buffer, a: number, b: number): void {
    if (id === 0) return this.connectionError('PROTOCOL', 'HEADERS on stream 0');
    if (flags & Flag.PADDED) {
      b = this.unpad('HEADERS', buf, a, b);
      if (b < 0) return;
      a++;
    }
    if (flags & Flag.PRIORITY) {
      if (b - a < 5) return this.frameSize('HEADERS with priority', b - a);
      a += 5;
    }
    if (b - a > this.maxHeaderListBytes) return this.headerListTooLarge(b - a);
    if (flags & Flag.END_HEADERS) return this.headerBlock(id, flags, buf.subarray(a, b));
    this.cont = { id, flags, parts: [Buffer.from(buf.subarray(a, b))], bytes: b - a };
  }

  private onContinuation(flags: number, id: number, buf: Buffer, a: number, b: number): void {
    const c = this.cont;
    if (c === null || c.id !== id) {
      return this.connectionError(
        'PROTOCOL',
        `CONTINUATION on stream ${id} without a header block to continue`,
      );
    }
    // The cap that stops a CONTINUATION flood: we never hold more than the limit.
    c.bytes += b - a;
    if (c.bytes > this.maxHeaderListBytes) return this.headerListTooLarge(c.bytes);
    c.parts.push(Buffer.from(buf.subarray(a, b)));
    if (flags & Flag.END_HEADERS) {
      this.cont = null;
      this.headerBlock(id, c.flags, Buffer.concat(c.parts, c.bytes));
    }
  }

  private headerListTooLarge(bytes: number): void {
    this.connectionError(
      'HEADER_LIST_TOO_LARGE',
      `header block of ${bytes}+ bytes exceeds the limit of ${this.maxHeaderListBytes} bytes (SETTINGS_MAX_HEADER_LIST_SIZE)`,
      H2Code.ENHANCE_YOUR_CALM,
    );
  }

  private headerBlock(id: number, flags: number, block: Buffer): void {
    // Decode whatever the stream: the dynamic table must follow every block the peer sent.
    let fields: string[];
    try {
      fields = this.decoder.decode(block);
    } catch (err) {
      if (!(err instanceof H2Error)) throw err;
      return this.goaway(err);
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const s = this.streams.get(id);
    if (!s) {
      if (this.isServer && (id & 1) === 1 && id > this.lastPeerId) return this.accept(id, fields, endStream);
      this.checkNotOpen('HEADERS', id);
      return;
    }
    if (s.remoteEnded) return; // a reset we sent crossed the peer's frame
    if (this.isServer && !endStream) {
      // A client's second header block is its trailers, which end the stream.
      return this.streamError(
        s,
        'PROTOCOL',
        `trailers on stream ${id} without END_STREAM`,
        H2Code.PROTOCOL_ERROR,
      );
    }
    if (endStream) this.remoteEnd(s);
    s.handler.onHeaders(fields, endStream);
  }

  /** Server: a stream the client opens, handed to {@link onStream}, or refused. */
  private accept(id: number, fields: string[], endStream: boolean): void {
    this.lastPeerId = id;
    const refuse = (): void => {
      this.queue(encodeFrame(FrameType.RST_STREAM, 0, id, uint32(H2Code.REFUSED_STREAM)));
      this.rememberReset(id);
    };
    // After our GOAWAY (stop, retire) or past the limit we announced, the client may retry elsewhere.
    if (this.error || !this.onStream || this.streams.size >= this.maxConcurrentStreams) return refuse();
    const s = new H2Stream(this, EMPTY, EMPTY, NO_HANDLER, false);
    s.id = id;
    s.sendWindow = this.peerInitialWindow;
    this.streams.set(id, s);
    if (endStream) s.remoteEnded = true;
    s.handler = this.onStream(s, fields, endStream);
  }

  private onRstStream(id: number, buf: Buffer, a: number, b: number): void {
    if (b - a !== 4) return this.frameSize('RST_STREAM', b - a);
    const code = buf.readUInt32BE(a);
    const s = this.streams.get(id);
    if (!s) {
      if (id === 0 || this.isIdle(id)) {
        this.connectionError('IDLE_STREAM', this.neverOpened('RST_STREAM', id));
      }
      return;
    }
    this.end(s);
    s.handler.onError(
      new H2Error(
        'STREAM_RESET',
        `stream reset by the ${this.peer} with ${h2CodeName(code)}`,
        code,
        'stream',
      ),
    );
  }

  private onSettings(flags: number, id: number, buf: Buffer, a: number, b: number): void {
    if (id !== 0) return this.connectionError('PROTOCOL', `SETTINGS on stream ${id}`);
    if (flags & Flag.ACK) {
      if (b !== a) return this.frameSize('SETTINGS ACK', b - a);
      return;
    }
    if ((b - a) % 6 !== 0) return this.frameSize('SETTINGS', b - a);
    this.gotSettings = true;
    for (let p = a; p < b; p += 6) {
      const key = buf.readUInt16BE(p);
      const v = buf.readUInt32BE(p + 2);
      switch (key) {
        case Setting.ENABLE_PUSH:
          if (v > 1) return this.connectionError('PROTOCOL', `SETTINGS_ENABLE_PUSH of ${v}`);
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          this.peerMaxConcurrentStreams = v;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (v > MAX_WINDOW) {
            return this.connectionError(
              'WINDOW_OVERFLOW',
              `SETTINGS_INITIAL_WINDOW_SIZE of ${v} is above 2^31-1`,
              H2Code.FLOW_CONTROL_ERROR,
            );
          }
          const delta = v - this.peerInitialWindow;
          this.peerInitialWindow = v;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW) {
              return this.connectionError(
                'WINDOW_OVERFLOW',
                `SETTINGS_INITIAL_WINDOW_SIZE of ${v} takes stream ${s.id}'s window above 2^31-1`,
                H2Code.FLOW_CONTROL_ERROR,
              );
            }
          }
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (v < MIN_MAX_FRAME_SIZE || v > MAX_MAX_FRAME_SIZE) {
            return this.connectionError('PROTOCOL', `SETTINGS_MAX_FRAME_SIZE of ${v} is out of range`);
          }
          this.peerMaxFrame = v;
          break;
        case Setting.MAX_HEADER_LIST_SIZE:
          this.peerMaxHeaderList = v;
          break;
        default: // HEADER_TABLE_SIZE: our encoder keeps no table; unknown settings are ignored
      }
    }
    this.queue(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(0)));
    if (this.blocked.size > 0) this.pumpBlocked();
    while (this.waiting.length > 0 && this.streams.size < this.peerMaxConcurrentStreams && !this.error) {
      this.open(this.waiting.shift()!);
    }
  }

  private onGoaway(id: number, buf: Buffer, a: number, b: number): void {
    if (id !== 0) return this.connectionError('PROTOCOL', `GOAWAY on stream ${id}`);
    if (b - a < 8) return this.frameSize('GOAWAY', b - a);
    const last = buf.readUInt32BE(a) & 0x7fffffff;
    const code = buf.readUInt32BE(a + 4);
    const debug = buf.subarray(a + 8, b).toString('utf8');
    const err = new H2Error(
      'GOAWAY',
      `${this.peer} sent GOAWAY with ${h2CodeName(code)}${debug ? ` (${debug})` : ''}`,
      code,
    );
    this.error ??= err;
    // Streams above last were never processed; with an error code, none will finish. (A client's last stream
    // id counts pushed streams, which we never open: its streams in flight go on unless it names an error.)
    const gone = [...this.streams.values()].filter(
      (s) => code !== H2Code.NO_ERROR || (!this.isServer && s.id > last),
    );
    gone.push(...this.waiting.splice(0));
    for (const s of gone) {
      this.end(s);
      s.handler.onError(err);
    }
    if (this.streams.size === 0) this.fail(err);
  }

  private onWindowUpdate(id: number, buf: Buffer, a: number, b: number): void {
    if (b - a !== 4) return this.frameSize('WINDOW_UPDATE', b - a);
    const inc = buf.readUInt32BE(a) & 0x7fffffff;
    if (id === 0) {
      if (inc === 0) return this.connectionError('PROTOCOL', 'connection WINDOW_UPDATE of 0');
      if (this.connSendWindow + inc > MAX_WINDOW) {
        return this.connectionError(
          'WINDOW_OVERFLOW',
          `WINDOW_UPDATE of ${inc} takes the connection window above 2^31-1`,
          H2Code.FLOW_CONTROL_ERROR,
        );
      }
      this.connSendWindow += inc;
      if (this.blocked.size > 0) this.pumpBlocked();
      return;
    }
    const s = this.streams.get(id);
    if (!s) {
      if (this.isIdle(id)) {
        this.connectionError('IDLE_STREAM', this.neverOpened('WINDOW_UPDATE', id));
      }
      return; // closed streams may still get WINDOW_UPDATEs (RFC 9113 section 6.9)
    }
    if (inc === 0)
      return this.streamError(s, 'PROTOCOL', `WINDOW_UPDATE of 0 on stream ${id}`, H2Code.PROTOCOL_ERROR);
    if (s.sendWindow + inc > MAX_WINDOW) {
      return this.streamError(
        s,
        'WINDOW_OVERFLOW',
        `WINDOW_UPDATE of ${inc} takes stream ${id}'s window above 2^31-1`,
        H2Code.FLOW_CONTROL_ERROR,
      );
    }
    s.sendWindow += inc;
    if (s.sendQueue.length > 0) this.pump(s);
  }
}
