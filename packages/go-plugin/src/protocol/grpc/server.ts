/**
 * A gRPC server: routes streams by path to registered methods and gives each
 * call its messages, deadline, cancellation and a way to answer. The
 * protobuf side lives in rpc-server.ts; this file is only the protocol. One
 * server takes connections from a listener (unix or TCP, TLS or not) and from
 * sockets handed to it (yamux streams).
 *
 * Two HTTP/2 transports: our own (h2/, the default: what plugins and hosts
 * serve on) and node:http2 (kept for the host check's probe, whose HTTP/2
 * stays independent of the code it checks hosts against).
 */
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer } from 'node:net';
import type {
  Http2SecureServer,
  Http2Server,
  Http2Session,
  IncomingHttpHeaders,
  ServerHttp2Stream,
  ServerHttp2Session,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { TLSSocket, TlsOptions } from 'node:tls';

import { encodeHeaderBlock, H2Connection } from '../h2/index.js';
import type { H2Stream, StreamHandler } from '../h2/index.js';
import { clientRefused } from '../tls.js';
import { H2ServerCall, statusOnlyBlock } from './h2-server-call.js';
import { MAX_HEADER_PAIRS } from './metadata.js';
import { nodeHttp2 } from './node-http2.js';
import { NodeServerCall, trailersOnly } from './node-server-call.js';
import { LiveCalls } from './server-call.js';
import type { ServerCall, StatusError } from './server-call.js';
import { Status } from './status.js';
import { parseTimeout } from './timeout.js';

export { ServerCall } from './server-call.js';
export type { StatusError } from './server-call.js';

export type MethodKind = 'unary' | 'server_streaming' | 'client_streaming' | 'bidi_streaming';

/** What a method gets per call. */
export type MethodHandler = (call: ServerCall) => void;

export interface GrpcServerOptions {
  /**
   * TLS settings (certificate, key, CA, requestCert): a TLS server; none:
   * plaintext HTTP/2. Options from mtlsServerOptions pin the client's
   * certificate: every other client is dropped before its first byte is read.
   */
  tls?: TlsOptions;
  /** Largest request message. Default 4 MiB, grpc-go's server default. */
  maxReceiveMessageBytes?: number;
  /** Largest response message. Default 2 GiB - 1. */
  maxSendMessageBytes?: number;
  /** The HTTP/2 underneath: 'h2' (ours, the default) or 'node-http2'. */
  transport?: 'h2' | 'node-http2';
}

export const DEFAULT_SERVER_MAX_RECEIVE_BYTES = 4 * 1024 * 1024;
const WINDOW_BYTES = 8 * 1024 * 1024;
const IGNORE: StreamHandler = { onHeaders() {}, onData() {}, onError() {} };

/** The parts of a request's headers the server looks at. */
interface RequestHead {
  method: string | undefined;
  path: string;
  contentType: string | undefined;
  encoding: string | undefined;
  timeout: string | undefined;
  /** grpc-timeout in ms, parsed by refusal() (which refuses a malformed one). */
  timeoutMs: number | undefined;
}

/** Why a request is refused before any handler runs: an HTTP status, or a gRPC status (trailers-only). */
type Refusal = { http: number } | { grpc: StatusError };

interface Route {
  kind: MethodKind;
  handler: MethodHandler;
}

export class GrpcServer {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly transport: 'h2' | 'node-http2';
  /** The server to bind (listen()); or hand it connections with {@link acceptConnection}. */
  readonly listener: NetServer;
  private readonly routes = new Map<string, Route>();
  private readonly services = new Set<string>();
  /** Open connections: sessions of node:http2, or our own. */
  private readonly sessions = new Set<Http2Session | H2Connection>();
  /** @internal The calls in flight (CallOwner). */
  readonly calls = new LiveCalls();
  private stopped = false;
  private readonly sessionWatchers = new Set<(count: number) => void>();
  private readonly tls: boolean;

  constructor(options: GrpcServerOptions = {}) {
    this.maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? DEFAULT_SERVER_MAX_RECEIVE_BYTES;
    this.maxSendMessageBytes = options.maxSendMessageBytes ?? 2 ** 31 - 1;
    this.transport = options.transport ?? 'h2';
    this.tls = options.tls !== undefined;
    this.listener = this.transport === 'h2' ? this.h2Listener(options.tls) : this.nodeListener(options.tls);
  }

  /** The node:http2 server (transport 'node-http2' only), for those who watch its events. */
  get http2(): Http2Server | Http2SecureServer {
    if (this.transport !== 'node-http2')
      throw new Error('GrpcServer.http2 exists only with the node-http2 transport');
    return this.listener as Http2Server | Http2SecureServer;
  }

  private nodeListener(tls: TlsOptions | undefined): Http2Server | Http2SecureServer {
    const http2Options = {
      settings: { initialWindowSize: WINDOW_BYTES },
      maxSessionMemory: 64,
      maxHeaderListPairs: MAX_HEADER_PAIRS,
    };
    const server = tls
      ? nodeHttp2().createSecureServer({ ...tls, ALPNProtocols: ['h2'], ...http2Options })
      : nodeHttp2().createServer(http2Options);
    server.on('session', (session: ServerHttp2Session) => {
      session.setLocalWindowSize(WINDOW_BYTES);
      session.on('error', () => {});
      this.track(session, (done) => session.once('close', done));
      if (this.stopped) session.close();
    });
    // Node passes the raw header list too (flags, rawHeaders), though its types do not say so.
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) =>
      this.dispatchNode(stream, headers, rest[1]),
    );
    if (tls) {
      // Before node:http2's own listener: a refused client's socket is gone before a session reads it.
      server.prependListener('secureConnection', (socket: TLSSocket) => {
        if (clientRefused(tls, socket)) socket.destroy();
      });
    }
    // A peer failing TLS or sending garbage costs it its connection, nothing more.
    server.on('sessionError', () => {});
    server.on('tlsClientError', () => {});
    return server;
  }

  private h2Listener(tls: TlsOptions | undefined): NetServer {
    if (!tls) return createNetServer((socket) => this.serveH2(socket));
    const server = createTlsServer({ ...tls, ALPNProtocols: ['h2'] }, (socket: TLSSocket) => {
      // As grpc-go: a client that did not negotiate h2 by ALPN gets no HTTP/2.
      if (socket.alpnProtocol !== 'h2' || clientRefused(tls, socket)) socket.destroy();
      else this.serveH2(socket);
    });
    server.on('tlsClientError', () => {});
    return server;
  }

  private serveH2(socket: Duplex): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const conn = new H2Connection(socket, {
      role: 'server',
      receiveWindowBytes: WINDOW_BYTES,
    });
    conn.onStream = (stream, fields, endStream) => this.dispatchH2(conn, stream, fields, endStream);
    this.track(conn, (done) => (conn.onClose = done));
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
    // A TLS server wraps what its 'connection' event gets; a plain one of ours serves it as it is.
    if (this.tls || this.transport === 'node-http2') this.listener.emit('connection', socket);
    else this.serveH2(socket);
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

  private track(session: Http2Session | H2Connection, onGone: (done: () => void) => void): void {
    this.sessions.add(session);
    onGone(() => {
      if (!this.sessions.delete(session)) return;
      for (const w of this.sessionWatchers) w(this.sessions.size);
    });
    for (const w of this.sessionWatchers) w(this.sessions.size);
  }

  /** What stops a request before its handler: wrong method or content type, unknown path, codings, timeout. */
  private refusal(head: RequestHead): Refusal | Route {
    if (head.method !== 'POST') return { http: 405 };
    if (head.contentType === undefined || !head.contentType.startsWith('application/grpc'))
      return { http: 415 };
    const route = this.routes.get(head.path);
    if (!route) return { grpc: { code: Status.UNIMPLEMENTED, message: this.unknownMethodText(head.path) } };
    if (head.encoding !== undefined && head.encoding !== 'identity') {
      return {
        grpc: {
          code: Status.UNIMPLEMENTED,
          message: `grpc: Decompressor is not installed for grpc-encoding ${JSON.stringify(head.encoding)}`,
        },
      };
    }
    if (head.timeout !== undefined) {
      head.timeoutMs = parseTimeout(head.timeout);
      if (head.timeoutMs === undefined)
        return { grpc: { code: Status.INTERNAL, message: `malformed grpc-timeout: ${head.timeout}` } };
    }
    if (this.stopped) return { grpc: { code: Status.UNAVAILABLE, message: 'server is stopping' } };
    return route;
  }

  private dispatchNode(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: unknown): void {
    const str = (v: string | string[] | undefined): string | undefined =>
      typeof v === 'string' ? v : undefined;
    const head: RequestHead = {
      method: headers[':method'],
      path: headers[':path'] ?? '',
      contentType: str(headers['content-type']),
      encoding: str(headers['grpc-encoding']),
      timeout: str(headers['grpc-timeout']),
      timeoutMs: undefined,
    };
    const r = this.refusal(head);
    if ('http' in r) {
      stream.on('error', () => {});
      stream.respond({ ':status': r.http }, { endStream: true });
    } else if ('grpc' in r) trailersOnly(stream, r.grpc);
    else {
      r.handler(new NodeServerCall(head.path, stream, headers, rawHeaders, this, head.timeoutMs));
    }
  }

  private dispatchH2(
    conn: H2Connection,
    stream: H2Stream,
    fields: string[],
    endStream: boolean,
  ): StreamHandler {
    const head: RequestHead = {
      method: undefined,
      path: '',
      contentType: undefined,
      encoding: undefined,
      timeout: undefined,
      timeoutMs: undefined,
    };
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const v = fields[i + 1]!;
      switch (fields[i]) {
        case ':method':
          head.method = v;
          break;
        case ':path':
          head.path = v;
          break;
        case 'content-type':
          head.contentType = v;
          break;
        case 'grpc-encoding':
          head.encoding = v;
          break;
        case 'grpc-timeout':
          head.timeout = v;
          break;
      }
    }
    const r = this.refusal(head);
    if ('http' in r) {
      stream.respond(encodeHeaderBlock([[':status', String(r.http)]]), true);
      return IGNORE;
    }
    if ('grpc' in r) {
      stream.respond(statusOnlyBlock(r.grpc), true);
      return IGNORE;
    }
    const call = new H2ServerCall(head.path, stream, conn, fields, this, head.timeoutMs, endStream);
    r.handler(call);
    return call;
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
      this.calls.stop();
      this.listener.close();
      // GOAWAY: calls in flight finish, nothing new starts; a connection goes once its calls are done.
      for (const s of this.sessions) {
        if (s instanceof H2Connection) s.retire();
        else if (!s.closed) s.close();
      }
    }
    if (this.sessions.size === 0) return;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.sessionWatchers.delete(done);
        resolve();
      };
      // Past the grace, cut every connection; their close follows.
      const timer = setTimeout(() => {
        for (const s of this.sessions) {
          if (s instanceof H2Connection) s.close();
          else s.destroy();
        }
      }, graceMs);
      const done = (count: number): void => {
        if (count === 0) finish();
      };
      this.sessionWatchers.add(done);
    });
  }
}
