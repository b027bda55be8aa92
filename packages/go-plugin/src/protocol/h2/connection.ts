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
 *
 * This file reads the peer's frames; the state and the sending side are
 * endpoint.ts's.
 */
import { H2Code, H2Error, h2CodeName } from './errors.js';
import {
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
  PREFACE,
  Setting,
  uint32,
  writeFrameHeader,
} from './frames.js';
import { HpackDecoder } from './hpack-decoder.js';
import { EMPTY, H2Endpoint, NO_HANDLER, OUR_HEADER_TABLE, OUR_MAX_FRAME } from './endpoint.js';
import { H2Stream } from './stream.js';

export {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_HEADER_LIST_BYTES,
  DEFAULT_RECEIVE_WINDOW_BYTES,
} from './endpoint.js';
export type { H2ConnectionOptions, StreamAcceptor, StreamHandler } from './endpoint.js';

/** An HTTP/2 connection: the endpoint's state and sending side, and reading the peer's frames (this file). */
export class H2Connection extends H2Endpoint {
  readonly decoder = new HpackDecoder(OUR_HEADER_TABLE, this.maxHeaderListBytes);
  /** Server: bytes of the client's preface still to check (24 until it has all come). */
  private prefaceLeft = this.isServer ? PREFACE.length : 0;
  private gotSettings = false;
  private connRecvUnacked = 0;
  private rest: Buffer | null = null;
  /** A header block being continued: stream id, the HEADERS flags, fragments, their size. */
  private cont: { id: number; flags: number; parts: Buffer[]; bytes: number } | null = null;

  protected onBytes(chunk: Buffer): void {
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
      // The frame header read in place: an object per frame would be garbage.
      const length = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
      if (length > OUR_MAX_FRAME) {
        return this.connectionError(
          'FRAME_TOO_LARGE',
          `frame of ${length} bytes exceeds our SETTINGS_MAX_FRAME_SIZE of ${OUR_MAX_FRAME}`,
          H2Code.FRAME_SIZE_ERROR,
        );
      }
      if (n - p - FRAME_HEADER_BYTES < length) break;
      const a = p + FRAME_HEADER_BYTES;
      this.onFrame(buf[p + 3]!, buf[p + 4]!, buf.readUInt32BE(p + 5) & 0x7fffffff, buf, a, a + length);
      if (this.finished) return;
      p = a + length;
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
        if (!(flags & Flag.ACK)) {
          // Copied straight from the read buffer (Go's gRPC pings with each burst of DATA: once per call).
          const ack = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 8);
          writeFrameHeader(ack, 0, 8, FrameType.PING, Flag.ACK, 0);
          buf.copy(ack, FRAME_HEADER_BYTES, a, b);
          this.queue(ack);
        }
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
    if (flags & Flag.END_HEADERS) return this.headerBlock(id, flags, buf, a, b);
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
      this.headerBlock(id, c.flags, Buffer.concat(c.parts, c.bytes), 0, c.bytes);
    }
  }

  private headerListTooLarge(bytes: number): void {
    this.connectionError(
      'HEADER_LIST_TOO_LARGE',
      `header block of ${bytes}+ bytes exceeds the limit of ${this.maxHeaderListBytes} bytes (SETTINGS_MAX_HEADER_LIST_SIZE)`,
      H2Code.ENHANCE_YOUR_CALM,
    );
  }

  /** The header block in block[a, b). */
  private headerBlock(id: number, flags: number, block: Buffer, a: number, b: number): void {
    // Decode whatever the stream: the dynamic table must follow every block the peer sent.
    let fields: string[];
    try {
      fields = this.decoder.decode(block, a, b);
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
