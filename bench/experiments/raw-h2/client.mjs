// A gRPC unary client written directly on a TLS (or plain) socket: its own
// HTTP/2 framing (RFC 7540/9113), no node:http2, no nghttp2, no per-stream
// Duplex objects. A design spike (bench/findings.md section 13), not shipped.
//
// One RawH2Connection is one HTTP/2 connection. What it does:
// - preface + SETTINGS (push off, 8 MiB stream window) + a connection
//   WINDOW_UPDATE to 8 MiB; ACKs the peer's SETTINGS and PINGs;
// - receive flow control: replenishes the connection and stream windows
//   once half is consumed, and rejects a peer that overruns them;
// - send flow control: DATA is cut to the peer's MAX_FRAME_SIZE and to both
//   send windows, and resumed on WINDOW_UPDATE (and on SETTINGS changes);
// - MAX_CONCURRENT_STREAMS: calls past the limit wait in a queue;
// - HEADERS + CONTINUATION, padding and priority fields, RST_STREAM,
//   GOAWAY (calls the server will not process fail UNAVAILABLE at once, the
//   others when the connection ends), PUSH_PROMISE refused (push is off);
// - gRPC: 5-byte framing, grpc-timeout + a local deadline (RST_STREAM
//   CANCEL), AbortSignal (RST_STREAM CANCEL), status from trailers and from
//   trailers-only responses, compressed frames -> INTERNAL, 4 MiB receive
//   limit -> RESOURCE_EXHAUSTED.
import tls from 'node:tls';

import { HpackDecoder, HpackError, encodeHeaderBlock } from './hpack.mjs';

export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

export class RpcError extends Error {
  constructor(code, details, metadata = {}) {
    super(`${code} ${details}`);
    this.name = 'RpcError';
    this.code = code;
    this.details = details;
    this.metadata = metadata;
  }
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const T_DATA = 0;
const T_HEADERS = 1;
const T_PRIORITY = 2;
const T_RST_STREAM = 3;
const T_SETTINGS = 4;
const T_PUSH_PROMISE = 5;
const T_PING = 6;
const T_GOAWAY = 7;
const T_WINDOW_UPDATE = 8;
const T_CONTINUATION = 9;
const F_END_STREAM = 0x1;
const F_ACK = 0x1;
const F_END_HEADERS = 0x4;
const F_PADDED = 0x8;
const F_PRIORITY = 0x20;
const E_NO_ERROR = 0;
const E_PROTOCOL = 1;
const E_FLOW_CONTROL = 3;
const E_FRAME_SIZE = 6;
const E_CANCEL = 8;
const E_COMPRESSION = 9;

const DEFAULT_WINDOW = 65535;
const MAX_WINDOW = 2 ** 31 - 1;
/** Our receive windows (stream and connection): a 4 MiB message never waits for a WINDOW_UPDATE. */
const RECV_WINDOW = 8 * 1024 * 1024;
/** The largest frame we accept (we do not raise SETTINGS_MAX_FRAME_SIZE). */
const OUR_MAX_FRAME = 16384;
const OUR_HEADER_TABLE = 4096;
export const DEFAULT_MAX_RECEIVE = 4 * 1024 * 1024;

/** RST_STREAM error code -> gRPC status (gRPC's HTTP/2 transport mapping). */
function rstToCode(e) {
  switch (e) {
    case 7: // REFUSED_STREAM: never processed
      return Code.UNAVAILABLE;
    case 8:
      return Code.CANCELLED;
    case 0xb: // ENHANCE_YOUR_CALM
      return Code.RESOURCE_EXHAUSTED;
    case 0xc: // INADEQUATE_SECURITY
      return Code.PERMISSION_DENIED;
    default:
      return Code.INTERNAL;
  }
}

/** HTTP status of a response without grpc-status -> gRPC status (gRPC's http-grpc-status-mapping). */
function httpToCode(status) {
  switch (status) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

/** grpc-message is percent-encoded UTF-8; a malformed escape is kept as it is. */
function percentDecode(s) {
  if (s.indexOf('%') < 0) return Buffer.from(s, 'latin1').toString('utf8');
  const out = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out).toString('utf8');
}

function timeoutHeader(ms) {
  // At most 8 digits (gRPC's grpc-timeout grammar).
  if (ms < 1e8) return `${Math.max(1, Math.ceil(ms))}m`;
  if (ms < 1e11) return `${Math.ceil(ms / 1000)}S`;
  return `${Math.min(99_999_999, Math.ceil(ms / 3_600_000))}H`;
}

function frameHeader(buf, off, len, type, flags, id) {
  buf[off] = len >>> 16;
  buf[off + 1] = (len >>> 8) & 0xff;
  buf[off + 2] = len & 0xff;
  buf[off + 3] = type;
  buf[off + 4] = flags;
  buf.writeUInt32BE(id, off + 5);
}

function frame(type, flags, id, payload) {
  const b = Buffer.allocUnsafe(9 + payload.length);
  frameHeader(b, 0, payload.length, type, flags, id);
  payload.copy(b, 9);
  return b;
}

/** A method's constant request header block, built once. */
export class Method {
  constructor(path, authority = 'localhost', scheme = 'https') {
    this.path = path;
    this.block = encodeHeaderBlock([
      [':method', 'POST'],
      [':scheme', scheme],
      [':path', path],
      [':authority', authority],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
    ]);
  }
}
// Literal without indexing, new name "grpc-timeout"; the value follows per call.
const TIMEOUT_NAME = Buffer.from([0x00, 12, ...Buffer.from('grpc-timeout', 'latin1')]);

class Stream {
  constructor(conn, id, resolve, reject) {
    this.conn = conn;
    this.id = id;
    this.resolve = resolve;
    this.reject = reject;
    this.sendWindow = conn.peerInitialWindow;
    this.recvWindow = RECV_WINDOW;
    this.recvUnacked = 0;
    this.pending = null; // framed request bytes not yet sent (flow control)
    this.pendingOff = 0;
    this.gotHeaders = false;
    this.httpStatus = 0;
    // gRPC message parser
    this.hdrGot = 0;
    this.flag = 0;
    this.msgLen = 0;
    this.msg = null;
    this.msgGot = 0;
    this.message = null;
    this.timer = null;
    this.signal = null;
    this.onAbort = null;
    this.done = false;
  }
}

export class RawH2Connection {
  /**
   * @param socket a connected socket (for TLS: after secureConnect, ALPN h2)
   * @param options { maxReceiveMessageBytes }
   */
  constructor(socket, options = {}) {
    this.socket = socket;
    this.maxReceive = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE;
    this.streams = new Map();
    this.nextId = 1;
    this.active = 0;
    this.waiting = []; // calls past MAX_CONCURRENT_STREAMS
    this.blocked = new Set(); // streams waiting for send window
    this.peerInitialWindow = DEFAULT_WINDOW;
    this.peerMaxFrame = 16384;
    this.peerMaxStreams = Infinity;
    this.connSendWindow = DEFAULT_WINDOW;
    this.connRecvWindow = RECV_WINDOW;
    this.connRecvUnacked = 0;
    this.decoder = new HpackDecoder(OUR_HEADER_TABLE);
    this.gotSettings = false;
    this.goawayLast = -1; // last stream id the peer will process, after a GOAWAY
    this.dead = null; // Error once the connection cannot take calls
    this.rest = null; // bytes of an incomplete frame
    this.cont = null; // header block being continued: { id, flags, parts }
    this.out = [];
    this.flushScheduled = false;
    this.flushFn = () => this.#flush();
    /** Frames received, by type (0..9), for the checks. */
    this.framesIn = new Uint32Array(10);
    this.paddedIn = 0;

    const settings = Buffer.alloc(18);
    settings.writeUInt16BE(2, 0); // ENABLE_PUSH
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(4, 6); // INITIAL_WINDOW_SIZE
    settings.writeUInt32BE(RECV_WINDOW, 8);
    settings.writeUInt16BE(6, 12); // MAX_HEADER_LIST_SIZE
    settings.writeUInt32BE(64 * 1024, 14);
    const inc = Buffer.allocUnsafe(4);
    inc.writeUInt32BE(RECV_WINDOW - DEFAULT_WINDOW);
    socket.write(
      Buffer.concat([PREFACE, frame(T_SETTINGS, 0, 0, settings), frame(T_WINDOW_UPDATE, 0, 0, inc)]),
    );

    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(`connection error: ${err.message}`));
    socket.on('close', () => this.#fail('connection closed'));
    socket.unref();
  }

  /** Unary call: resolves with the response message bytes, rejects with RpcError. */
  unary(method, message, options = {}) {
    return new Promise((resolve, reject) => {
      if (this.dead) return reject(new RpcError(Code.UNAVAILABLE, this.dead));
      if (this.active >= this.peerMaxStreams) {
        this.waiting.push({ method, message, options, resolve, reject });
        return;
      }
      this.#start(method, message, options, resolve, reject);
    });
  }

  close() {
    this.#fail('connection closed by the client');
  }

  #start(method, message, options, resolve, reject) {
    const signal = options.signal;
    if (signal?.aborted) return reject(new RpcError(Code.CANCELLED, 'call cancelled'));
    if (this.nextId > MAX_WINDOW) return reject(new RpcError(Code.UNAVAILABLE, 'stream ids exhausted'));
    const id = this.nextId;
    this.nextId += 2;
    const s = new Stream(this, id, resolve, reject);
    this.streams.set(id, s);
    if (this.active++ === 0) this.socket.ref();

    // HEADERS (+ CONTINUATION if the block is larger than the peer's frame
    // size) and as much DATA as the windows allow, in one buffer.
    const timeoutMs = options.timeoutMs;
    const tv = timeoutMs === undefined ? '' : timeoutHeader(timeoutMs);
    const extra = options.metadata ? encodeHeaderBlock(options.metadata) : null;
    const blockLen =
      method.block.length + (tv ? TIMEOUT_NAME.length + 1 + tv.length : 0) + (extra ? extra.length : 0);
    const msgLen = message.length;
    const framedLen = 5 + msgLen;
    if (
      blockLen <= this.peerMaxFrame &&
      framedLen <= this.peerMaxFrame &&
      framedLen <= this.connSendWindow &&
      framedLen <= s.sendWindow
    ) {
      // Fast path: one allocation, one HEADERS and one DATA frame.
      const b = Buffer.allocUnsafe(9 + blockLen + 9 + framedLen);
      frameHeader(b, 0, blockLen, T_HEADERS, F_END_HEADERS, id);
      let o = 9 + method.block.copy(b, 9);
      if (tv) {
        o += TIMEOUT_NAME.copy(b, o);
        b[o++] = tv.length;
        o += b.latin1Write(tv, o);
      }
      if (extra) o += extra.copy(b, o);
      frameHeader(b, o, framedLen, T_DATA, F_END_STREAM, id);
      o += 9;
      b[o] = 0;
      b.writeUInt32BE(msgLen, o + 1);
      message.copy(b, o + 5);
      this.connSendWindow -= framedLen;
      s.sendWindow -= framedLen;
      this.#queue(b);
    } else {
      const block = Buffer.allocUnsafe(blockLen);
      let o = method.block.copy(block, 0);
      if (tv) {
        o += TIMEOUT_NAME.copy(block, o);
        block[o++] = tv.length;
        o += block.latin1Write(tv, o);
      }
      if (extra) extra.copy(block, o);
      for (let off = 0; off < blockLen || off === 0;) {
        const n = Math.min(this.peerMaxFrame, blockLen - off);
        const last = off + n >= blockLen;
        const type = off === 0 ? T_HEADERS : T_CONTINUATION;
        this.#queue(frame(type, last ? F_END_HEADERS : 0, id, block.subarray(off, off + n)));
        off += n;
        if (last) break;
      }
      const framed = Buffer.allocUnsafe(framedLen);
      framed[0] = 0;
      framed.writeUInt32BE(msgLen, 1);
      message.copy(framed, 5);
      s.pending = framed;
      this.#pump(s);
    }

    if (timeoutMs !== undefined) {
      s.timer = setTimeout(() => this.#cancel(s, Code.DEADLINE_EXCEEDED, 'deadline exceeded'), timeoutMs);
    }
    if (signal) {
      s.signal = signal;
      s.onAbort = () => this.#cancel(s, Code.CANCELLED, 'call cancelled');
      signal.addEventListener('abort', s.onAbort, { once: true });
    }
  }

  /** Sends what the windows allow of s's pending DATA. */
  #pump(s) {
    const buf = s.pending;
    while (s.pendingOff < buf.length) {
      const n = Math.min(buf.length - s.pendingOff, this.peerMaxFrame, this.connSendWindow, s.sendWindow);
      if (n <= 0) {
        this.blocked.add(s);
        return;
      }
      const end = s.pendingOff + n;
      this.#queue(
        frame(T_DATA, end === buf.length ? F_END_STREAM : 0, s.id, buf.subarray(s.pendingOff, end)),
      );
      s.pendingOff = end;
      this.connSendWindow -= n;
      s.sendWindow -= n;
    }
    s.pending = null;
    this.blocked.delete(s);
  }

  #pumpBlocked() {
    for (const s of this.blocked) {
      if (this.connSendWindow <= 0) return;
      this.#pump(s);
    }
  }

  #queue(buf) {
    this.out.push(buf);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushFn);
    }
  }

  #flush() {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.socket.destroyed) return;
    this.out = [];
    this.socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
  }

  #control(type, flags, id, payload) {
    this.#queue(frame(type, flags, id, payload));
  }

  #rst(id, code) {
    const p = Buffer.allocUnsafe(4);
    p.writeUInt32BE(code);
    this.#control(T_RST_STREAM, 0, id, p);
  }

  /** Ends a call locally (deadline, abort): RST_STREAM CANCEL, then the status. */
  #cancel(s, code, details) {
    if (s.done) return;
    this.#rst(s.id, E_CANCEL);
    this.#finish(s, new RpcError(code, details));
  }

  #finish(s, err, value) {
    if (s.done) return;
    s.done = true;
    this.streams.delete(s.id);
    this.blocked.delete(s);
    if (s.timer) clearTimeout(s.timer);
    if (s.onAbort) s.signal.removeEventListener('abort', s.onAbort);
    if (--this.active === 0 && this.waiting.length === 0) this.socket.unref();
    if (err) s.reject(err);
    else s.resolve(value);
    while (this.waiting.length > 0 && this.active < this.peerMaxStreams && !this.dead) {
      const w = this.waiting.shift();
      this.#start(w.method, w.message, w.options, w.resolve, w.reject);
    }
  }

  /** The connection can take no calls: every call in flight or waiting ends UNAVAILABLE. */
  #fail(why) {
    if (!this.dead) this.dead = why;
    for (const s of [...this.streams.values()]) this.#finish(s, new RpcError(Code.UNAVAILABLE, why));
    for (const w of this.waiting.splice(0)) w.reject(new RpcError(Code.UNAVAILABLE, why));
    if (!this.socket.destroyed) {
      this.#flush(); // a GOAWAY we queued goes out before the FIN
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    }
  }

  #connectionError(code, why) {
    if (this.dead) return;
    const p = Buffer.allocUnsafe(8);
    p.writeUInt32BE(0, 0); // we never accept peer streams
    p.writeUInt32BE(code, 4);
    this.#control(T_GOAWAY, 0, 0, p);
    this.#fail(`HTTP/2 connection error ${code}: ${why}`);
  }

  #onData(chunk) {
    let buf = chunk;
    if (this.rest !== null) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let p = 0;
    const n = buf.length;
    while (n - p >= 9) {
      const len = (buf[p] << 16) | (buf[p + 1] << 8) | buf[p + 2];
      if (len > OUR_MAX_FRAME) return this.#connectionError(E_FRAME_SIZE, `frame of ${len} bytes`);
      if (n - p - 9 < len) break;
      const type = buf[p + 3];
      const flags = buf[p + 4];
      const id = buf.readUInt32BE(p + 5) & 0x7fffffff;
      this.#frame(type, flags, id, buf, p + 9, p + 9 + len);
      if (this.dead) return;
      p += 9 + len;
    }
    if (p < n) this.rest = buf.subarray(p);
  }

  #frame(type, flags, id, buf, a, b) {
    if (type < 10) this.framesIn[type]++;
    if (!this.gotSettings && type !== T_SETTINGS)
      return this.#connectionError(E_PROTOCOL, 'first frame is not SETTINGS');
    if (this.cont !== null && type !== T_CONTINUATION)
      return this.#connectionError(E_PROTOCOL, 'header block interrupted');
    switch (type) {
      case T_DATA:
        return this.#onDataFrame(flags, id, buf, a, b);
      case T_HEADERS: {
        if (id === 0) return this.#connectionError(E_PROTOCOL, 'HEADERS on stream 0');
        if (flags & F_PADDED) {
          this.paddedIn++;
          const pad = buf[a++];
          if (pad > b - a) return this.#connectionError(E_PROTOCOL, 'padding beyond the frame');
          b -= pad;
        }
        if (flags & F_PRIORITY) a += 5;
        if (a > b) return this.#connectionError(E_FRAME_SIZE, 'HEADERS too short');
        if (flags & F_END_HEADERS) return this.#headerBlock(id, flags, buf.subarray(a, b));
        this.cont = { id, flags, parts: [Buffer.from(buf.subarray(a, b))] };
        return;
      }
      case T_CONTINUATION: {
        const c = this.cont;
        if (c === null || c.id !== id) return this.#connectionError(E_PROTOCOL, 'unexpected CONTINUATION');
        c.parts.push(Buffer.from(buf.subarray(a, b)));
        if (flags & F_END_HEADERS) {
          this.cont = null;
          this.#headerBlock(id, c.flags, Buffer.concat(c.parts));
        }
        return;
      }
      case T_PRIORITY:
        if (b - a !== 5) return this.#connectionError(E_FRAME_SIZE, 'PRIORITY size');
        return;
      case T_RST_STREAM: {
        if (id === 0) return this.#connectionError(E_PROTOCOL, 'RST_STREAM on stream 0');
        if (b - a !== 4) return this.#connectionError(E_FRAME_SIZE, 'RST_STREAM size');
        const code = buf.readUInt32BE(a);
        const s = this.streams.get(id);
        if (s)
          this.#finish(s, new RpcError(rstToCode(code), `stream reset by the server (HTTP/2 error ${code})`));
        return;
      }
      case T_SETTINGS:
        return this.#onSettings(flags, id, buf, a, b);
      case T_PUSH_PROMISE:
        return this.#connectionError(E_PROTOCOL, 'PUSH_PROMISE with push disabled');
      case T_PING:
        if (id !== 0) return this.#connectionError(E_PROTOCOL, 'PING on a stream');
        if (b - a !== 8) return this.#connectionError(E_FRAME_SIZE, 'PING size');
        if (!(flags & F_ACK)) this.#control(T_PING, F_ACK, 0, buf.subarray(a, b));
        return;
      case T_GOAWAY: {
        if (id !== 0) return this.#connectionError(E_PROTOCOL, 'GOAWAY on a stream');
        if (b - a < 8) return this.#connectionError(E_FRAME_SIZE, 'GOAWAY size');
        const last = buf.readUInt32BE(a) & 0x7fffffff;
        const code = buf.readUInt32BE(a + 4);
        const debug = buf.latin1Slice(a + 8, b);
        this.goawayLast = last;
        const why = `server sent GOAWAY (HTTP/2 error ${code}${debug ? `, ${debug}` : ''})`;
        if (!this.dead) this.dead = why;
        for (const w of this.waiting.splice(0)) w.reject(new RpcError(Code.UNAVAILABLE, why));
        for (const s of [...this.streams.values()]) {
          if (s.id > last || code !== E_NO_ERROR) this.#finish(s, new RpcError(Code.UNAVAILABLE, why));
        }
        if (this.streams.size === 0) this.#fail(why);
        return;
      }
      case T_WINDOW_UPDATE: {
        if (b - a !== 4) return this.#connectionError(E_FRAME_SIZE, 'WINDOW_UPDATE size');
        const inc = buf.readUInt32BE(a) & 0x7fffffff;
        if (id === 0) {
          if (inc === 0) return this.#connectionError(E_PROTOCOL, 'WINDOW_UPDATE of 0');
          this.connSendWindow += inc;
          if (this.connSendWindow > MAX_WINDOW)
            return this.#connectionError(E_FLOW_CONTROL, 'window above 2^31-1');
          if (this.blocked.size > 0) this.#pumpBlocked();
          return;
        }
        const s = this.streams.get(id);
        if (!s) return;
        if (inc === 0 || s.sendWindow + inc > MAX_WINDOW) {
          this.#rst(id, inc === 0 ? E_PROTOCOL : E_FLOW_CONTROL);
          return this.#finish(s, new RpcError(Code.INTERNAL, 'bad WINDOW_UPDATE from the server'));
        }
        s.sendWindow += inc;
        if (s.pending) this.#pump(s);
        return;
      }
      default:
        return; // unknown frame types are ignored
    }
  }

  #onSettings(flags, id, buf, a, b) {
    if (id !== 0) return this.#connectionError(E_PROTOCOL, 'SETTINGS on a stream');
    if (flags & F_ACK) {
      if (b !== a) return this.#connectionError(E_FRAME_SIZE, 'SETTINGS ACK with a payload');
      return;
    }
    if ((b - a) % 6 !== 0) return this.#connectionError(E_FRAME_SIZE, 'SETTINGS size');
    this.gotSettings = true;
    for (let p = a; p < b; p += 6) {
      const key = buf.readUInt16BE(p);
      const v = buf.readUInt32BE(p + 2);
      switch (key) {
        case 2:
          if (v > 1) return this.#connectionError(E_PROTOCOL, 'ENABLE_PUSH not 0 or 1');
          break;
        case 3:
          this.peerMaxStreams = v;
          break;
        case 4: {
          if (v > MAX_WINDOW)
            return this.#connectionError(E_FLOW_CONTROL, 'INITIAL_WINDOW_SIZE above 2^31-1');
          const delta = v - this.peerInitialWindow;
          this.peerInitialWindow = v;
          for (const s of this.streams.values()) s.sendWindow += delta;
          break;
        }
        case 5:
          if (v < 16384 || v > 16777215)
            return this.#connectionError(E_PROTOCOL, 'MAX_FRAME_SIZE out of range');
          this.peerMaxFrame = v;
          break;
        default: // HEADER_TABLE_SIZE (our encoder keeps no table), MAX_HEADER_LIST_SIZE, unknown
      }
    }
    this.#control(T_SETTINGS, F_ACK, 0, Buffer.alloc(0));
    if (this.blocked.size > 0) this.#pumpBlocked();
    while (this.waiting.length > 0 && this.active < this.peerMaxStreams) {
      const w = this.waiting.shift();
      this.#start(w.method, w.message, w.options, w.resolve, w.reject);
    }
  }

  #onDataFrame(flags, id, buf, a, b) {
    if (id === 0) return this.#connectionError(E_PROTOCOL, 'DATA on stream 0');
    const size = b - a;
    // Connection-level flow control counts every DATA frame, padding included.
    this.connRecvWindow -= size;
    if (this.connRecvWindow < 0)
      return this.#connectionError(E_FLOW_CONTROL, 'peer overran the connection window');
    this.connRecvUnacked += size;
    if (this.connRecvUnacked >= RECV_WINDOW / 2) {
      const p = Buffer.allocUnsafe(4);
      p.writeUInt32BE(this.connRecvUnacked);
      this.#control(T_WINDOW_UPDATE, 0, 0, p);
      this.connRecvWindow += this.connRecvUnacked;
      this.connRecvUnacked = 0;
    }
    if (flags & F_PADDED) {
      if (size < 1) return this.#connectionError(E_FRAME_SIZE, 'padded DATA without pad length');
      this.paddedIn++;
      const pad = buf[a++];
      if (pad > b - a) return this.#connectionError(E_PROTOCOL, 'padding beyond the frame');
      b -= pad;
    }
    const s = this.streams.get(id);
    if (!s) {
      if (id >= this.nextId) return this.#connectionError(E_PROTOCOL, `DATA on idle stream ${id}`);
      return; // a stream we already ended (cancelled, deadline)
    }
    s.recvWindow -= size;
    if (s.recvWindow < 0) {
      this.#rst(id, E_FLOW_CONTROL);
      return this.#finish(s, new RpcError(Code.INTERNAL, 'server overran the stream window'));
    }
    if (!s.gotHeaders) {
      this.#rst(id, E_PROTOCOL);
      return this.#finish(s, new RpcError(Code.INTERNAL, 'DATA before response headers'));
    }
    if (b > a && !this.#messageBytes(s, buf, a, b)) return;
    if (flags & F_END_STREAM) {
      return this.#finish(s, new RpcError(Code.INTERNAL, 'server closed the stream without trailers'));
    }
    s.recvUnacked += size;
    if (s.recvUnacked >= RECV_WINDOW / 2) {
      const p = Buffer.allocUnsafe(4);
      p.writeUInt32BE(s.recvUnacked);
      this.#control(T_WINDOW_UPDATE, 0, id, p);
      s.recvWindow += s.recvUnacked;
      s.recvUnacked = 0;
    }
  }

  /** Feeds DATA bytes to s's gRPC message parser; false once the call ended. */
  #messageBytes(s, buf, a, b) {
    while (a < b) {
      if (s.hdrGot < 5) {
        const byte = buf[a++];
        if (s.hdrGot++ === 0) s.flag = byte;
        else s.msgLen = s.msgLen * 256 + byte;
        if (s.hdrGot < 5) continue;
        if (s.flag !== 0)
          return this.#abortCall(s, Code.INTERNAL, 'compressed message, but no compression was offered');
        if (s.msgLen > this.maxReceive) {
          return this.#abortCall(
            s,
            Code.RESOURCE_EXHAUSTED,
            `response of ${s.msgLen} bytes is over the limit of ${this.maxReceive}`,
          );
        }
        if (s.message !== null)
          return this.#abortCall(s, Code.INTERNAL, 'more than one response message to a unary call');
        if (b - a >= s.msgLen) {
          // Whole message in this frame: a view, no copy.
          s.message = buf.subarray(a, a + s.msgLen);
          a += s.msgLen;
          s.hdrGot = 0;
          s.msgLen = 0;
          continue;
        }
        s.msg = Buffer.allocUnsafe(s.msgLen);
        s.msgGot = 0;
        continue;
      }
      const n = Math.min(b - a, s.msgLen - s.msgGot);
      buf.copy(s.msg, s.msgGot, a, a + n);
      s.msgGot += n;
      a += n;
      if (s.msgGot === s.msgLen) {
        s.message = s.msg;
        s.msg = null;
        s.hdrGot = 0;
        s.msgLen = 0;
      }
    }
    return true;
  }

  #abortCall(s, code, details) {
    this.#rst(s.id, E_CANCEL);
    this.#finish(s, new RpcError(code, details));
    return false;
  }

  #headerBlock(id, flags, block) {
    // Always decode: the dynamic table must follow every block the peer sent.
    const fields = {};
    try {
      this.decoder.decode(block, (name, value) => {
        const prev = fields[name];
        if (prev === undefined) fields[name] = value;
        else if (Array.isArray(prev)) prev.push(value);
        else fields[name] = [prev, value];
      });
    } catch (err) {
      if (err instanceof HpackError) return this.#connectionError(E_COMPRESSION, err.message);
      throw err;
    }
    const s = this.streams.get(id);
    if (!s) {
      if (id >= this.nextId || (id & 1) === 0)
        return this.#connectionError(E_PROTOCOL, `HEADERS on stream ${id} we did not open`);
      return;
    }
    const end = (flags & F_END_STREAM) !== 0;
    if (!s.gotHeaders) {
      s.gotHeaders = true;
      s.httpStatus = Number(fields[':status']);
      const ct = fields['content-type'];
      if (!end) {
        if (s.httpStatus !== 200)
          return this.#abortCall(s, httpToCode(s.httpStatus), `HTTP status ${s.httpStatus}`);
        if (typeof ct !== 'string' || !ct.startsWith('application/grpc')) {
          return this.#abortCall(s, Code.UNKNOWN, `content-type ${ct}`);
        }
        if (fields['grpc-encoding'] !== undefined && fields['grpc-encoding'] !== 'identity') {
          return this.#abortCall(
            s,
            Code.INTERNAL,
            `grpc-encoding ${fields['grpc-encoding']} was not offered`,
          );
        }
        return;
      }
      // Trailers-only response.
      if (fields['grpc-status'] === undefined && s.httpStatus !== 200) {
        return this.#finish(s, new RpcError(httpToCode(s.httpStatus), `HTTP status ${s.httpStatus}`, fields));
      }
    } else if (!end) {
      this.#rst(id, E_PROTOCOL);
      return this.#finish(s, new RpcError(Code.INTERNAL, 'trailers without END_STREAM'));
    }
    this.#trailers(s, fields);
  }

  #trailers(s, fields) {
    const raw = fields['grpc-status'];
    const code = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Code.UNKNOWN;
    if (s.pending) this.#rst(s.id, E_CANCEL); // server ended before our request was fully sent
    if (code !== Code.OK) {
      const m = fields['grpc-message'];
      const details =
        typeof raw === 'string' ? (typeof m === 'string' ? percentDecode(m) : '') : 'missing grpc-status';
      return this.#finish(s, new RpcError(code, details, fields));
    }
    if (s.hdrGot !== 0 || s.msg !== null)
      return this.#finish(s, new RpcError(Code.INTERNAL, 'truncated response message'));
    if (s.message === null) return this.#finish(s, new RpcError(Code.UNIMPLEMENTED, 'no response message'));
    this.#finish(s, null, s.message);
  }
}

/**
 * Connects over TLS (ALPN h2) and resolves once the handshake is done.
 * tlsOptions: node:tls connect options (path or host/port, ca, cert, key, servername).
 */
export function connectTls(tlsOptions, options) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ ...tlsOptions, ALPNProtocols: ['h2'] });
    const onError = (err) => reject(new RpcError(Code.UNAVAILABLE, `connect: ${err.message}`));
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      if (socket.alpnProtocol !== 'h2') {
        socket.destroy();
        return reject(
          new RpcError(Code.UNAVAILABLE, `server did not select h2 (ALPN ${socket.alpnProtocol})`),
        );
      }
      socket.setNoDelay?.(true);
      resolve(new RawH2Connection(socket, options));
    });
  });
}
