/**
 * A gRPC server on node:http2: routes streams by path to registered methods
 * and gives each call its messages, deadline, cancellation and a way to
 * answer. The protobuf side lives in rpc-server.ts; this file is only the
 * protocol. One server takes connections from a listener (unix or TCP, TLS
 * or not) and from sockets handed to it (yamux streams).
 */
import { createSecureServer, createServer, constants } from 'node:http2';
import type {
  Http2SecureServer,
  Http2Server,
  Http2Session,
  IncomingHttpHeaders,
  ServerHttp2Stream,
  ServerHttp2Session,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import type { TlsOptions } from 'node:tls';

import { encodeFrame, FrameReader } from './framing.js';
import { MAX_HEADER_PAIRS, Metadata } from './metadata.js';
import { MessageQueue } from './queue.js';
import { encodeGrpcMessage, Status } from './status.js';
import { parseTimeout } from './timeout.js';

export type MethodKind = 'unary' | 'server_streaming' | 'client_streaming' | 'bidi_streaming';

/** What a method gets per call. */
export type MethodHandler = (call: ServerCall) => void;

export interface GrpcServerOptions {
  /** TLS settings (certificate, key, CA, requestCert): a TLS server; none: plaintext HTTP/2. */
  tls?: TlsOptions;
  /** Largest request message. Default 4 MiB, grpc-go's server default. */
  maxReceiveMessageBytes?: number;
  /** Largest response message. Default 2 GiB - 1. */
  maxSendMessageBytes?: number;
}

export const DEFAULT_SERVER_MAX_RECEIVE_BYTES = 4 * 1024 * 1024;
const WINDOW_BYTES = 8 * 1024 * 1024;
/** Request messages queued for a streaming handler before reading from the peer pauses. */
const QUEUE_MARK = 32;

/** An error a handler answers with: a status code, its message, optional details and trailers. */
export interface StatusError {
  code: Status;
  message: string;
  details?: Uint8Array;
  trailers?: Metadata;
}

const STREAM_CLOSED = new Error('stream closed');

export class ServerCall {
  /** Absolute deadline from grpc-timeout (ms since the epoch), if the client set one. */
  readonly deadline: number | undefined;
  private controller: AbortController | undefined;
  private cancelled: string | undefined;
  private metadataValue: Metadata | undefined;
  private responded = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private reader: FrameReader | undefined;
  private queue: MessageQueue<Buffer> | undefined;
  private collected: Buffer[] | undefined;
  private onCollected: ((messages: Buffer[]) => void) | undefined;
  private trailer: StatusError | undefined;
  private readonly releaseServerSignal: () => void;
  /** Called when the call ends for any reason (handlers release resources). */
  private readonly endListeners: (() => void)[] = [];

  constructor(
    readonly method: string,
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly rawHeaders: unknown,
    private readonly server: GrpcServer,
    timeoutMs: number | undefined,
  ) {
    this.deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.cancel('context deadline exceeded');
        this.sendStatus({ code: Status.DEADLINE_EXCEEDED, message: 'context deadline exceeded' });
      }, timeoutMs);
      this.timer.unref();
    }
    stream.on('close', () => {
      if (!this.finished) {
        this.cancel('call cancelled by the client');
        this.end();
      }
    });
    stream.on('error', () => {}); // 'close' follows; the call is cancelled there
    this.releaseServerSignal = server.onStop(() => this.cancel('server stopping'));
  }

  /** Request metadata (parsed on first use). */
  get metadata(): Metadata {
    return (this.metadataValue ??= Metadata.fromRaw(this.rawHeaders, this.headers));
  }

  /** Aborted when the client cancels, the deadline passes or the server stops (made on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled !== undefined) this.controller.abort(new Error(this.cancelled));
    }
    return this.controller.signal;
  }

  get peer(): string {
    const socket = this.stream.session?.socket;
    if (!socket) return 'unknown';
    return socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
  }

  /** True once the call has ended (status sent, or the client went away). */
  get done(): boolean {
    return this.finished;
  }

  private cancel(reason: string): void {
    if (this.cancelled !== undefined) return;
    this.cancelled = reason;
    this.controller?.abort(new Error(reason));
  }

  /** Runs `fn` when the call ends, however it ends. */
  onEnd(fn: () => void): void {
    if (this.finished) fn();
    else this.endListeners.push(fn);
  }

  /** Reads the request: unary kinds collect every message until the client half-closes. */
  readAll(onMessages: (messages: Buffer[]) => void): void {
    this.collected = [];
    this.onCollected = onMessages;
    this.startReading((m) => this.collected!.push(m));
  }

  /** Reads the request as a stream of messages (client- and bidi-streaming). */
  readStream(): AsyncIterable<Buffer> {
    this.queue = new MessageQueue<Buffer>(
      QUEUE_MARK,
      () => this.stream.pause(),
      () => this.stream.resume(),
    );
    this.startReading((m) => this.queue!.push(m));
    return this.queue;
  }

  private startReading(onMessage: (m: Buffer) => void): void {
    this.reader = new FrameReader(this.server.maxReceiveMessageBytes, onMessage);
    this.stream.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      const err = this.reader!.push(chunk);
      if (err) {
        this.queue?.end(err);
        this.sendStatus({ code: err.code, message: err.message });
      }
    });
    this.stream.on('end', () => {
      // A reset stream also ends its readable side: that is a cancel ('close'
      // follows), not the client half-closing a complete request.
      if (this.finished || this.stream.aborted) return;
      if (this.reader!.partial) {
        const err = { code: Status.INTERNAL, message: 'grpc: the stream ended inside a message' };
        this.queue?.end(err);
        this.sendStatus(err);
        return;
      }
      this.queue?.end();
      const collect = this.onCollected;
      this.onCollected = undefined;
      collect?.(this.collected!);
    });
  }

  private respondHeaders(): void {
    this.responded = true;
    this.stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    this.stream.once('wantTrailers', () => {
      const t = this.trailer ?? { code: Status.OK, message: '' };
      try {
        this.stream.sendTrailers(statusHeaders(t));
      } catch {
        // the stream went away meanwhile
      }
    });
  }

  /**
   * Sends one response message; resolves when the transport can take more.
   * Rejects once the call is over (the client went away or a status was sent).
   */
  send(message: Uint8Array): Promise<void> {
    if (this.finished || this.stream.destroyed) return Promise.reject(STREAM_CLOSED);
    if (message.length > this.server.maxSendMessageBytes) {
      const err = {
        code: Status.RESOURCE_EXHAUSTED,
        message: `grpc: trying to send message larger than max (${message.length} vs. ${this.server.maxSendMessageBytes})`,
      };
      this.sendStatus(err);
      return Promise.reject(STREAM_CLOSED);
    }
    if (!this.responded) this.respondHeaders();
    if (this.stream.write(encodeFrame(message))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.stream.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.stream.off('drain', onDrain);
        reject(STREAM_CLOSED);
      };
      this.stream.once('drain', onDrain);
      this.stream.once('close', onClose);
    });
  }

  /** Unary success in one go: headers, the message and OK trailers. */
  sendUnary(message: Uint8Array): void {
    if (this.finished || this.stream.destroyed) return;
    if (message.length > this.server.maxSendMessageBytes) {
      this.sendStatus({
        code: Status.RESOURCE_EXHAUSTED,
        message: `grpc: trying to send message larger than max (${message.length} vs. ${this.server.maxSendMessageBytes})`,
      });
      return;
    }
    if (!this.responded) this.respondHeaders();
    this.end();
    this.stream.end(encodeFrame(message));
  }

  /** Ends the call with a status (trailers-only if nothing was sent yet). */
  sendStatus(status: StatusError): void {
    if (this.finished) return;
    this.end();
    if (this.stream.destroyed || this.stream.closed) return;
    if (!this.responded) {
      this.responded = true;
      this.stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', ...statusHeaders(status) },
        { endStream: true },
      );
    } else {
      this.trailer = status;
      this.stream.end();
    }
    // A client still sending after our status gets its stream reset (as HTTP/2 wants).
    if (this.reader && !this.stream.readableEnded) this.stream.close(constants.NGHTTP2_NO_ERROR);
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.releaseServerSignal();
    this.queue?.end(this.cancelled !== undefined ? STREAM_CLOSED : undefined);
    for (const fn of this.endListeners.splice(0)) fn();
  }
}

function statusHeaders(s: StatusError): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { 'grpc-status': String(s.code) };
  if (s.message) out['grpc-message'] = encodeGrpcMessage(s.message);
  if (s.details && s.details.length > 0)
    out['grpc-status-details-bin'] = Buffer.from(s.details).toString('base64');
  s.trailers?.addTo(out);
  return out;
}

function trailersOnly(stream: ServerHttp2Stream, status: StatusError): void {
  stream.on('error', () => {});
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', ...statusHeaders(status) },
    { endStream: true },
  );
}

interface Route {
  kind: MethodKind;
  handler: MethodHandler;
}

export class GrpcServer {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  /** The HTTP/2 server; bind it with listen() or hand it connections with {@link acceptConnection}. */
  readonly http2: Http2Server | Http2SecureServer;
  private readonly routes = new Map<string, Route>();
  private readonly services = new Set<string>();
  private readonly sessions = new Set<Http2Session>();
  private readonly stopListeners = new Set<() => void>();
  private stopped = false;
  private readonly sessionWatchers = new Set<(count: number) => void>();

  constructor(options: GrpcServerOptions = {}) {
    this.maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? DEFAULT_SERVER_MAX_RECEIVE_BYTES;
    this.maxSendMessageBytes = options.maxSendMessageBytes ?? 2 ** 31 - 1;
    const http2Options = {
      settings: { initialWindowSize: WINDOW_BYTES },
      maxSessionMemory: 64,
      maxHeaderListPairs: MAX_HEADER_PAIRS,
    };
    this.http2 = options.tls
      ? createSecureServer({ ...options.tls, ALPNProtocols: ['h2'], ...http2Options })
      : createServer(http2Options);
    this.http2.on('session', (session: ServerHttp2Session) => this.track(session));
    // Node passes the raw header list too (flags, rawHeaders), though its types do not say so.
    this.http2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) =>
      this.dispatch(stream, headers, rest[1]),
    );
    // A peer failing TLS or sending garbage costs it its connection, nothing more.
    this.http2.on('sessionError', () => {});
    this.http2.on('tlsClientError', () => {});
  }

  /** Registers a method under its full path, `/package.Service/Method`. */
  register(path: string, kind: MethodKind, handler: MethodHandler): void {
    this.routes.set(path, { kind, handler });
    this.services.add(path.slice(1, path.lastIndexOf('/')));
  }

  /** Serves one already-connected socket (e.g. a yamux stream), TLS on top if configured. */
  acceptConnection(socket: Duplex): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.http2.emit('connection', socket);
  }

  /** Number of open client connections. */
  get connections(): number {
    return this.sessions.size;
  }

  /** Calls `fn` with the number of open connections each time it changes. Returns the remover. */
  watchConnections(fn: (count: number) => void): () => void {
    this.sessionWatchers.add(fn);
    return () => this.sessionWatchers.delete(fn);
  }

  /** @internal Calls' hook into server stop; returns the remover. */
  onStop(fn: () => void): () => void {
    if (this.stopped) {
      fn();
      return () => {};
    }
    this.stopListeners.add(fn);
    return () => this.stopListeners.delete(fn);
  }

  private track(session: Http2Session): void {
    session.setLocalWindowSize(WINDOW_BYTES);
    this.sessions.add(session);
    session.on('error', () => {});
    session.once('close', () => {
      this.sessions.delete(session);
      for (const w of this.sessionWatchers) w(this.sessions.size);
    });
    for (const w of this.sessionWatchers) w(this.sessions.size);
    if (this.stopped) session.close();
  }

  private dispatch(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: unknown): void {
    if (headers[':method'] !== 'POST') {
      stream.on('error', () => {});
      stream.respond({ ':status': 405 }, { endStream: true });
      return;
    }
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.on('error', () => {});
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const path = headers[':path'] ?? '';
    const route = this.routes.get(path);
    if (!route) {
      trailersOnly(stream, { code: Status.UNIMPLEMENTED, message: this.unknownMethodText(path) });
      return;
    }
    const encoding = headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      trailersOnly(stream, {
        code: Status.UNIMPLEMENTED,
        message: `grpc: Decompressor is not installed for grpc-encoding ${JSON.stringify(encoding)}`,
      });
      return;
    }
    let timeout: number | undefined;
    const rawTimeout = headers['grpc-timeout'];
    if (typeof rawTimeout === 'string') {
      timeout = parseTimeout(rawTimeout);
      if (timeout === undefined) {
        trailersOnly(stream, { code: Status.INTERNAL, message: `malformed grpc-timeout: ${rawTimeout}` });
        return;
      }
    }
    if (this.stopped) {
      trailersOnly(stream, { code: Status.UNAVAILABLE, message: 'server is stopping' });
      return;
    }
    route.handler(new ServerCall(path, stream, headers, rawHeaders, this, timeout));
  }

  private unknownMethodText(path: string): string {
    const slash = path.lastIndexOf('/');
    if (!path.startsWith('/') || slash <= 0) return `malformed method name: ${JSON.stringify(path)}`;
    const svc = path.slice(1, slash);
    const method = path.slice(slash + 1);
    return this.services.has(svc) ? `unknown method ${method} for service ${svc}` : `unknown service ${svc}`;
  }

  /**
   * Stops: no new connections or calls; calls in flight see their signal
   * abort and get `graceMs` to finish; then every connection is cut.
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      for (const fn of [...this.stopListeners]) fn();
      this.stopListeners.clear();
      this.http2.close();
      for (const s of this.sessions) if (!s.closed) s.close();
    }
    if (this.sessions.size === 0) return;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.sessionWatchers.delete(done);
        resolve();
      };
      // Past the grace, cut every connection; 'close' follows on the next tick.
      const timer = setTimeout(() => {
        for (const s of this.sessions) s.destroy();
      }, graceMs);
      const done = (count: number): void => {
        if (count === 0) finish();
      };
      this.sessionWatchers.add(done);
    });
  }
}
