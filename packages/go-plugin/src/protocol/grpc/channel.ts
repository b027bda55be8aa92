/**
 * The client side's connection to one gRPC server: one HTTP/2 session over a
 * socket we are handed (unix or TCP, TLS or not, or a yamux stream), made on
 * first use. A session that fails or is told to go away is replaced on the
 * next call, never in the background, and a closed channel refuses calls: no
 * silent reconnect to a plugin that is gone. Idle sessions do not hold the
 * event loop open.
 */
import { once } from 'node:events';
import type { ClientHttp2Session, ClientHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';

import { H2Connection } from '../h2/connection.js';
import { H2Code } from '../h2/errors.js';
import { UnaryMethod } from '../h2/request-head.js';
import { MAX_HEADER_PAIRS } from './metadata.js';
import { nodeHttp2 } from './node-http2.js';

/** Makes the transport for a new session: a connected (or connecting) socket. */
export type Connector = () => Duplex | Promise<Duplex>;

export interface ChannelOptions {
  connect: Connector;
  /** `https` when the connector gives TLS sockets (sets :scheme). */
  secure: boolean;
  /** :authority; default `localhost`, the name go-plugin's certificates carry. */
  authority?: string;
  /** Largest message accepted from the server. Default 4 MiB. */
  maxReceiveMessageBytes?: number;
  /** Largest message we send. Default 2 GiB - 1 (no practical limit). */
  maxSendMessageBytes?: number;
  /** Requests per session before it is retired (stream ids run out at 2^31). */
  maxRequestsPerSession?: number;
  /**
   * Which HTTP/2 client carries the calls: `node-http2` (default) or `h2`,
   * our own (protocol/h2: 2-4x less CPU per call), for every kind of call.
   */
  transport?: Transport;
}

export type Transport = 'node-http2' | 'h2';

export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_SEND_MESSAGE_BYTES = 2 ** 31 - 1;
const DEFAULT_MAX_REQUESTS_PER_SESSION = 1_000_000_000;
/** Flow-control windows: large enough that a few MiB in flight never stall on WINDOW_UPDATEs. */
const WINDOW_BYTES = 8 * 1024 * 1024;

/** A call waiting for the h2 connection (an object rather than a callback: one fewer allocation per call). */
export interface H2User {
  /** The connection to start on, at once when there is one; or why there is none. */
  useConnection(conn: H2Connection | Error): void;
}

/** Why a channel cannot carry a call; mapped to UNAVAILABLE by callers. */
export class ChannelError extends Error {
  override readonly name = 'ChannelError';
}

/** Request headers Node will not send (it validates them per request): fails that call only. */
export class InvalidHeadersError extends Error {
  override readonly name = 'InvalidHeadersError';
}

interface Live {
  session: ClientHttp2Session;
  /** The transport: destroyed with the session (Node leaves a socket still in its TLS handshake open). */
  socket: Duplex;
  requests: number;
  active: number;
  /** Set once the session failed or was told to go away: take no new streams. */
  dead: boolean;
  error: Error | undefined;
}

export class Channel {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  private readonly scheme: string;
  private readonly authority: string;
  private readonly maxRequests: number;
  private current: Live | undefined;
  private connecting: Promise<Live> | undefined;
  private readonly lives = new Set<Live>();
  private readonly bySession = new WeakMap<ClientHttp2Session, Live>();
  private closedFlag = false;
  readonly transport: Transport;
  private h2: H2Connection | undefined;
  private h2Connecting: Promise<H2Connection> | undefined;
  private readonly h2Conns = new Set<H2Connection>();
  private readonly h2Requests = new WeakMap<H2Connection, number>();
  private readonly methods = new Map<string, UnaryMethod>();

  constructor(private readonly options: ChannelOptions) {
    this.scheme = options.secure ? 'https' : 'http';
    this.authority = options.authority ?? 'localhost';
    this.maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
    this.maxSendMessageBytes = options.maxSendMessageBytes ?? DEFAULT_MAX_SEND_MESSAGE_BYTES;
    this.maxRequests = options.maxRequestsPerSession ?? DEFAULT_MAX_REQUESTS_PER_SESSION;
    this.transport = options.transport ?? 'node-http2';
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Headers every request carries; callers add grpc-timeout and metadata. */
  baseHeaders(path: string): OutgoingHttpHeaders {
    return {
      ':method': 'POST',
      ':scheme': this.scheme,
      ':authority': this.authority,
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    };
  }

  /**
   * Opens a stream: synchronously when a session is up (the hot path),
   * else once one is. `onStream` gets the stream, or an error to fail the call with.
   */
  open(headers: OutgoingHttpHeaders, onStream: (stream: ClientHttp2Stream | Error) => void): void {
    const live = this.current;
    if (live && !live.dead) {
      onStream(this.request(live, headers));
      return;
    }
    this.session().then(
      // Several calls may wait for one new session; it can be retired before the last of them.
      (l) => (l.dead ? this.open(headers, onStream) : onStream(this.request(l, headers))),
      (err: unknown) => onStream(err instanceof Error ? err : new ChannelError(String(err))),
    );
  }

  /** Connects now (e.g. to fail fast on a bad address); resolves when a session is up. */
  async ready(): Promise<void> {
    if (this.transport === 'h2') await this.h2Connection();
    else await this.session();
  }

  /** Open h2 connections (the h2 transport's; for tests and diagnostics). */
  get h2Connections(): number {
    return this.h2Conns.size;
  }

  /** A method's request header block for the h2 transport, encoded once per path. */
  unaryMethod(path: string): UnaryMethod {
    let m = this.methods.get(path);
    if (!m) {
      m = new UnaryMethod(path, { authority: this.authority, secure: this.scheme === 'https' });
      this.methods.set(path, m);
    }
    return m;
  }

  /**
   * Gives `user` an h2 connection that takes new streams: synchronously
   * when one is up (the hot path), else once one is; or with the error that
   * prevented it. Counts the request for rotation.
   */
  withH2(user: H2User): void {
    const conn = this.h2;
    if (conn && !conn.error) {
      this.useH2(conn, user);
      return;
    }
    this.h2Connection().then(
      (c) => (c.error ? this.withH2(user) : this.useH2(c, user)),
      (err: unknown) => user.useConnection(err instanceof Error ? err : new ChannelError(String(err))),
    );
  }

  private useH2(conn: H2Connection, user: H2User): void {
    if (this.closedFlag) {
      user.useConnection(new ChannelError('channel closed'));
      return;
    }
    const n = (this.h2Requests.get(conn) ?? 0) + 1;
    this.h2Requests.set(conn, n);
    user.useConnection(conn);
    if (n >= this.maxRequests) {
      if (this.h2 === conn) this.h2 = undefined;
      conn.retire();
    }
  }

  private h2Connection(): Promise<H2Connection> {
    if (this.closedFlag) return Promise.reject(new ChannelError('channel closed'));
    const conn = this.h2;
    if (conn && !conn.error) return Promise.resolve(conn);
    this.h2Connecting ??= this.connectH2().finally(() => (this.h2Connecting = undefined));
    return this.h2Connecting;
  }

  private async connectH2(): Promise<H2Connection> {
    const socket = await this.options.connect();
    try {
      await established(socket);
    } catch (err) {
      socket.destroy();
      throw new ChannelError(err instanceof Error ? err.message : String(err));
    }
    if (this.closedFlag) {
      socket.destroy();
      throw new ChannelError('channel closed');
    }
    if (
      socket instanceof TLSSocket &&
      typeof socket.alpnProtocol === 'string' &&
      socket.alpnProtocol !== 'h2'
    ) {
      socket.destroy();
      throw new ChannelError(`the server chose ${socket.alpnProtocol} by ALPN, not h2`);
    }
    if (socket instanceof Socket) socket.setNoDelay(true);
    const conn = new H2Connection(socket);
    this.h2Conns.add(conn);
    conn.onClose = () => {
      this.h2Conns.delete(conn);
      if (this.h2 === conn) this.h2 = undefined;
    };
    this.h2 = conn;
    return conn;
  }

  private request(live: Live, headers: OutgoingHttpHeaders): ClientHttp2Stream | Error {
    if (this.closedFlag) return new ChannelError('channel closed');
    let stream: ClientHttp2Stream;
    try {
      stream = live.session.request(headers);
    } catch (err) {
      // A TypeError is a header Node refuses (a second value of a header it
      // sends once, a connection-specific name): the call's fault, not the
      // connection's, so the session stays.
      if (err instanceof TypeError) return new InvalidHeadersError(err.message);
      this.retire(live);
      return err instanceof Error ? err : new ChannelError(String(err));
    }
    if (live.active++ === 0) live.session.ref();
    if (++live.requests >= this.maxRequests) this.retire(live);
    stream.once('close', () => {
      if (--live.active > 0 || live.session.destroyed) return;
      if (live.dead) live.session.close();
      else live.session.unref();
    });
    return stream;
  }

  private session(): Promise<Live> {
    if (this.closedFlag) return Promise.reject(new ChannelError('channel closed'));
    const live = this.current;
    if (live && !live.dead) return Promise.resolve(live);
    this.connecting ??= this.connectSession().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connectSession(): Promise<Live> {
    const socket = await this.options.connect();
    if (this.closedFlag) {
      socket.destroy();
      throw new ChannelError('channel closed');
    }
    const session = nodeHttp2().connect(`${this.scheme}://${this.authority}`, {
      createConnection: () => socket,
      settings: { enablePush: false, initialWindowSize: WINDOW_BYTES },
      // Many concurrent calls with large messages are normal here.
      maxSessionMemory: 64,
      maxHeaderListPairs: MAX_HEADER_PAIRS,
    });
    const live: Live = { session, socket, requests: 0, active: 0, dead: false, error: undefined };
    this.lives.add(live);
    this.bySession.set(session, live);
    session.on('error', (err: Error) => {
      live.error ??= err;
      live.dead = true;
    });
    session.on('goaway', () => {
      live.dead = true;
    });
    session.once('close', () => {
      live.dead = true;
      socket.destroy();
      this.lives.delete(live);
      if (this.current === live) this.current = undefined;
    });
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => {
        session.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        session.off('connect', onConnect);
        reject(live.error ?? new ChannelError('connection closed before it was established'));
      };
      session.once('connect', onConnect);
      session.once('close', onClose);
    });
    if (this.closedFlag) {
      session.destroy();
      socket.destroy();
      throw new ChannelError('channel closed');
    }
    session.setLocalWindowSize(WINDOW_BYTES);
    session.unref();
    this.current = live;
    return live;
  }

  /**
   * Why `session` is gone, if it is: a stream that ended without a status on
   * such a session lost its connection (UNAVAILABLE), it was not reset.
   */
  sessionFailure(session: ClientHttp2Session): Error | undefined {
    const live = this.bySession.get(session);
    if (live?.error) return live.error;
    return session.destroyed ? new ChannelError('connection closed') : undefined;
  }

  /**
   * Stops using a session for new calls; it closes once its calls finish
   * (closing at once would refuse streams Node has not submitted yet).
   */
  private retire(live: Live): void {
    live.dead = true;
    if (this.current === live) this.current = undefined;
    if (live.active === 0 && !live.session.closed) live.session.close();
  }

  /**
   * Fails every call in flight and refuses new ones. Idempotent. With `peerGone` (the plugin's process has
   * exited) nothing more is written: no GOAWAY or TLS close_notify into a socket nobody reads.
   */
  close(peerGone = false): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const live of this.lives) {
      live.dead = true;
      live.error ??= new ChannelError('channel closed');
      live.session.destroy(undefined, H2Code.CANCEL);
      live.socket.destroy();
    }
    this.current = undefined;
    for (const conn of this.h2Conns) {
      if (peerGone) conn.abandon();
      else conn.close();
    }
    this.h2 = undefined;
  }
}

/** Resolves once a socket can carry HTTP/2: connected, and for TLS past the handshake. Rejects on its error. */
async function established(socket: Duplex): Promise<void> {
  let event: string | undefined;
  // alpnProtocol is null until the TLS handshake is done (then a string or false).
  if (socket instanceof TLSSocket) event = socket.alpnProtocol === null ? 'secureConnect' : undefined;
  else if (socket instanceof Socket && socket.connecting) event = 'connect';
  if (event) await once(socket, event);
}
