/**
 * A yamux session over one reliable, ordered connection, compatible with
 * github.com/hashicorp/yamux v0.1.2 (what go-plugin v1.8.0 multiplexes with).
 *
 * Accept model: incoming streams wait in a backlog of `acceptBacklog` until
 * accept() takes them; more than that are reset, as in Go. A stream is ACKed
 * when it is accepted, so a Go opener's in-flight limit is honoured. Our own
 * opens are limited the same way: beyond `acceptBacklog` un-ACKed streams,
 * open() still returns a stream at once but its SYN (and any data) waits.
 *
 * The session never emits 'error'. It ends with 'close' (and `closed`
 * resolving) carrying the error that ended it, or undefined for a clean end.
 * Streams still open at that point are destroyed with YAMUX_CLOSED.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

import { isGoPluginError } from '../errors.js';
import { resolveConfig } from './config.js';
import type { YamuxConfig, YamuxSessionOptions } from './config.js';
import { Flag, FrameType, GoAwayCode, MAX_UINT32 } from './constants.js';
import { AcceptQueue } from './accept-queue.js';
import { FrameDecoder } from './decoder.js';
import { describeFrame, validateHeader } from './frame.js';
import type { FrameHeader } from './frame.js';
import { closedError, protocolError, timeoutError } from './failures.js';
import { OpenGate } from './open-gate.js';
import { PingTracker } from './pings.js';
import { YamuxStream } from './stream.js';
import type { StreamHost } from './stream.js';
import { FrameWriter } from './writer.js';

export interface YamuxSessionEvents {
  /** The session is over and its transport closed; the argument is what ended it, if it failed. */
  close: [error: Error | undefined];
}

const EMPTY = Buffer.alloc(0);

export class YamuxSession extends EventEmitter<YamuxSessionEvents> {
  /** True for the dialing side (odd stream ids). */
  readonly client: boolean;
  /** Resolves once the session is over and its transport closed: undefined, or the error that ended it. */
  readonly closed: Promise<Error | undefined>;

  private readonly config: YamuxConfig;
  private readonly socket: Duplex;
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private readonly pings: PingTracker;
  private readonly acceptQueue: AcceptQueue;
  private readonly openGate: OpenGate;
  private readonly host: StreamHost;
  private readonly streams = new Map<number, YamuxStream>();
  private nextStreamId: number;
  private highestRemoteId = 0;
  private localGoAway = false;
  private remoteGoAway = false;
  private ended = false;
  private finished = false;
  private failure: Error | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private resolveClosed: (error: Error | undefined) => void = () => undefined;

  constructor(socket: Duplex, options: YamuxSessionOptions) {
    super();
    this.config = resolveConfig(options);
    this.client = options.client;
    this.socket = socket;
    this.nextStreamId = this.client ? 1 : 2;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.decoder = new FrameDecoder({
      checkHeader: (header) => validateHeader(header, this.config.maxStreamWindowSize),
      onFrame: (header, payload) => this.handleFrame(header, payload),
    });
    const fail = (error: Error) => this.destroy(error);
    this.writer = new FrameWriter(socket, this.config.connectionWriteTimeout, fail);
    this.pings = new PingTracker(
      (flags, id) => this.writer.send(FrameType.Ping, flags, 0, id),
      this.config.connectionWriteTimeout,
    );
    this.acceptQueue = new AcceptQueue(this.config.acceptBacklog);
    this.openGate = new OpenGate(this.config.acceptBacklog, this.config.streamOpenTimeout, fail);
    this.host = {
      maxWindow: this.config.maxStreamWindowSize,
      streamCloseTimeout: this.config.streamCloseTimeout,
      sendFrame: (type, flags, id, length, payload) => this.writer.send(type, flags, id, length, payload),
      afterDrain: (callback) => this.writer.afterDrain(callback),
      established: (stream) => this.openGate.settle(stream),
      released: (stream) => this.released(stream),
    };
    socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    if (socket.destroyed) {
      process.nextTick(this.onSocketClose);
      return;
    }
    this.scheduleKeepAlive();
  }

  /** Streams the session tracks: open ones, including those waiting in the accept backlog. */
  get numStreams(): number {
    return this.streams.size;
  }

  /** True once the session has ended (its transport may still be closing). */
  get isClosed(): boolean {
    return this.ended;
  }

  /**
   * Opens a stream. It is usable at once (data may follow the SYN without
   * waiting for the ACK). Throws YAMUX_CLOSED if the session is over or the
   * peer sent GoAway.
   */
  open(): YamuxStream {
    if (this.ended) throw this.sessionClosedError('cannot open a stream');
    if (this.remoteGoAway) {
      throw closedError('yamux peer sent GoAway and accepts no new streams', { client: this.client });
    }
    const id = this.nextStreamId;
    if (id >= MAX_UINT32 - 1) throw closedError('yamux stream ids are exhausted for this session', { id });
    this.nextStreamId += 2;
    const stream = new YamuxStream(this.host, id, true);
    this.streams.set(id, stream);
    this.openGate.open(stream);
    return stream;
  }

  /** The next stream the peer opened; rejects with YAMUX_CLOSED once the session is over. */
  accept(): Promise<YamuxStream> {
    const stream = this.acceptQueue.take();
    if (stream !== undefined) return Promise.resolve(stream);
    if (this.ended) return Promise.reject(this.sessionClosedError('cannot accept a stream'));
    return this.acceptQueue.wait();
  }

  /** Round-trip time to the peer in ms; rejects with YAMUX_TIMEOUT after connectionWriteTimeout. */
  ping(): Promise<number> {
    if (this.ended) return Promise.reject(this.sessionClosedError('cannot ping'));
    return this.pings.ping();
  }

  /** Tells the peer we accept no more streams (incoming SYNs are reset); existing streams go on. */
  goAway(): void {
    if (this.ended || this.localGoAway) return;
    this.localGoAway = true;
    this.writer.send(FrameType.GoAway, 0, 0, GoAwayCode.Normal);
  }

  /**
   * Ends the session: GoAway(normal), then end of our side of the transport.
   * Open streams are destroyed with YAMUX_CLOSED. Resolves once the transport
   * has closed (forced after connectionWriteTimeout).
   */
  async close(): Promise<void> {
    if (!this.ended) {
      this.localGoAway = true;
      this.terminate(undefined, GoAwayCode.Normal);
    }
    await this.closed;
  }

  /** Ends the session and destroys the transport at once, without GoAway. */
  destroy(error?: Error): void {
    this.terminate(error);
    this.socket.destroy();
  }

  // ---- receiving -------------------------------------------------------------

  private readonly onSocketData = (chunk: Buffer | string): void => {
    if (this.ended) return; // keep draining so the transport can reach its end
    try {
      this.decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    } catch (error) {
      if (isGoPluginError(error, 'YAMUX_PROTOCOL')) {
        this.terminate(error, GoAwayCode.ProtocolError);
        return;
      }
      // Not ours: most likely thrown by a 'data' listener during push(). The
      // frame was half handled, so the session cannot go on; surface the throw.
      this.terminate(error instanceof Error ? error : new Error(String(error)), GoAwayCode.InternalError);
      throw error;
    }
  };

  private readonly onSocketEnd = (): void => {
    if (this.decoder.midFrame && !this.ended) {
      this.terminate(protocolError('yamux connection ended in the middle of a frame', {}));
    } else {
      this.terminate(undefined);
    }
  };

  private readonly onSocketError = (error: NodeJS.ErrnoException): void => {
    // A peer hanging up (EPIPE/ECONNRESET can beat its GoAway and EOF to us)
    // ends the session cleanly unless it announced nothing and cut streams off.
    const hangUp = error.code === 'EPIPE' || error.code === 'ECONNRESET';
    const clean = this.remoteGoAway || (hangUp && this.streams.size === 0);
    this.terminate(clean ? undefined : closedError(`yamux connection failed: ${error.message}`, {}, error));
  };

  private readonly onSocketClose = (): void => {
    this.terminate(undefined);
    this.finish();
  };

  private handleFrame(header: FrameHeader, payload: Buffer | undefined): void {
    switch (header.type) {
      case FrameType.Ping:
        this.pings.handle(header.flags, header.length);
        return;
      case FrameType.GoAway:
        this.handleGoAway(header.length);
        return;
      default:
        this.handleStreamFrame(header, payload ?? EMPTY);
    }
  }

  private handleStreamFrame(header: FrameHeader, payload: Buffer): void {
    const id = header.streamId;
    if (id === 0) {
      throw protocolError(`yamux ${describeFrame(header)} uses stream id 0, reserved for the session`, {
        ...header,
      });
    }
    let stream = this.streams.get(id);
    if ((header.flags & Flag.SYN) !== 0) {
      if (this.isLocalId(id)) {
        throw protocolError(
          `yamux peer opened stream ${id}, but ${this.client ? 'odd' : 'even'} ids belong to this side ` +
            `(${describeFrame(header)})`,
          { ...header },
        );
      }
      // Go opens streams from concurrent goroutines, so SYNs may arrive out of
      // id order; only a stream that is still open counts as a duplicate.
      if (stream !== undefined) {
        throw protocolError(
          `yamux peer opened stream ${id} again while it is open (${describeFrame(header)})`,
          {
            ...header,
          },
        );
      }
      this.highestRemoteId = Math.max(this.highestRemoteId, id);
      stream = this.incoming(id);
      if (stream === undefined) return; // reset: backlog full or going away
    } else if (stream === undefined) {
      // Frames for a stream that was reset or closed may still be in flight: drop them, like Go.
      if (this.wasOpened(id)) return;
      throw protocolError(`yamux ${describeFrame(header)} is for stream ${id}, which was never opened`, {
        ...header,
      });
    }
    if (header.type === FrameType.WindowUpdate) stream.handleWindowUpdate(header.flags, header.length);
    else stream.handleData(header.flags, payload);
  }

  private handleGoAway(code: number): void {
    if (code === GoAwayCode.Normal) {
      this.remoteGoAway = true;
      for (const stream of [...this.openGate.pending]) {
        stream.fail(
          closedError(`yamux peer sent GoAway before stream ${stream.id} was opened`, {
            streamId: stream.id,
          }),
        );
      }
      return;
    }
    const reason =
      code === GoAwayCode.ProtocolError
        ? 'protocol error'
        : code === GoAwayCode.InternalError
          ? 'internal error'
          : 'unknown code';
    // The peer is already leaving; answering with our own GoAway would be pointless.
    this.terminate(
      protocolError(`yamux peer sent GoAway with code ${code} (${reason})`, { goAwayCode: code }),
    );
  }

  private incoming(id: number): YamuxStream | undefined {
    if (this.localGoAway || !this.acceptQueue.hasRoom) {
      this.writer.send(FrameType.WindowUpdate, Flag.RST, id, 0);
      return undefined;
    }
    const stream = new YamuxStream(this.host, id, false);
    this.streams.set(id, stream);
    this.acceptQueue.offer(stream);
    return stream;
  }

  private isLocalId(id: number): boolean {
    return id % 2 === (this.client ? 1 : 0);
  }

  /** Whether frames for `id` may legitimately still arrive: it was opened, though maybe closed since. */
  private wasOpened(id: number): boolean {
    return this.isLocalId(id) ? id < this.nextStreamId : id <= this.highestRemoteId;
  }

  private released(stream: YamuxStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.acceptQueue.remove(stream);
    this.openGate.settle(stream);
  }

  // ---- keepalive and shutdown ------------------------------------------------

  private scheduleKeepAlive(): void {
    if (!this.config.enableKeepAlive || this.ended) return;
    // Unref'd: an idle session alone must not keep the process alive.
    this.keepAliveTimer = setTimeout(() => {
      if (this.ended) return;
      this.pings.ping(true).then(
        () => this.scheduleKeepAlive(),
        (error: unknown) => {
          if (this.ended) return;
          const reason = error instanceof Error ? error.message : String(error);
          this.destroy(timeoutError(`yamux keepalive failed: ${reason}`, {}, error));
        },
      );
    }, this.config.keepAliveInterval);
    this.keepAliveTimer.unref();
  }

  private sessionClosedError(what: string): Error {
    const reason = this.failure === undefined ? 'it is closed' : `it failed: ${this.failure.message}`;
    return closedError(`yamux session ${what}: ${reason}`, {}, this.failure);
  }

  private terminate(error: Error | undefined, goAwayCode?: number): void {
    if (this.ended) return;
    if (goAwayCode !== undefined) this.writer.send(FrameType.GoAway, 0, 0, goAwayCode);
    this.ended = true;
    this.failure = error;
    this.decoder.stop();
    this.writer.stop();
    clearTimeout(this.keepAliveTimer);

    const closed = this.sessionClosedError('ended');
    this.pings.failAll(closed);
    this.acceptQueue.close(closed);
    const suffix = error === undefined ? '' : `: ${error.message}`;
    // Streams waiting for a SYN slot are in `streams` too.
    this.openGate.stop();
    for (const stream of [...this.streams.values()]) {
      stream.fail(
        closedError(
          `yamux session ended while stream ${stream.id} was open${suffix}`,
          { streamId: stream.id },
          error,
        ),
      );
    }
    this.streams.clear();

    // Our EOF makes a well-behaved peer close its side too; force it if it does not.
    if (!this.socket.destroyed) {
      this.socket.end();
      this.lingerTimer = setTimeout(() => this.socket.destroy(), this.config.connectionWriteTimeout);
      this.lingerTimer.unref();
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.lingerTimer);
    this.emit('close', this.failure);
    this.resolveClosed(this.failure);
  }
}
