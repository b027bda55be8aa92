/**
 * One client call on a {@link Channel}: request headers (grpc-timeout from
 * the deadline, metadata), framed messages both ways, and exactly one final
 * status — from trailers, from a trailers-only response, or derived from how
 * the stream ended. A deadline or an abort resets the stream with CANCEL, so
 * the server sees it.
 */
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import { addAbortSignal } from 'node:stream';

import type { H2Connection } from '../h2/connection.js';
import { H2Code, h2CodeName } from '../h2/errors.js';
import { H2Call } from '../h2/call.js';
import type { H2CallListener } from '../h2/call.js';
import { InvalidHeadersError } from './channel.js';
import type { Channel, H2User } from './channel.js';
import { encodeFrame, FrameReader } from './framing.js';
import { Metadata } from './metadata.js';
import { decodeGrpcMessage, Status, statusFromHttp, statusFromRstCode } from './status.js';
import { encodeTimeout } from './timeout.js';

/** How a call ended. */
export interface CallStatus {
  code: Status;
  message: string;
  /** grpc-status-details-bin: a serialized google.rpc.Status, when the server sent one. */
  details?: Buffer;
  /** Trailing metadata (for trailers-only responses, the response headers). */
  trailers: Metadata;
  /** Set when the connection failed or was lost (the status is ours, not the server's). */
  connectionLost?: true;
  /** The transport's error behind a status of ours (protocol/h2's H2Error). */
  cause?: Error;
}

export interface ClientCallOptions {
  /** `/package.Service/Method`. */
  path: string;
  metadata?: Metadata;
  /** Absolute deadline (ms since the epoch). */
  deadline?: number;
  signal?: AbortSignal;
  /** Unary and client-streaming calls: the response is exactly one message. */
  singleResponse: boolean;
}

export interface ClientCallListener {
  onMessage(message: Buffer): void;
  /** Called once, last. */
  onStatus(status: CallStatus): void;
}

const NO_TRAILERS = new Metadata();

/**
 * Resets a stream with RST_STREAM CANCEL and nothing before it. Node's
 * `stream.close(code)` first ends the writable side, so a server would read
 * END_STREAM (the request is complete) before the reset: a cancelled
 * client-streaming call would look finished. Destroying the stream with an
 * AbortError sends the reset alone, with code CANCEL.
 */
function resetStream(s: ClientHttp2Stream): void {
  if (!s.destroyed) addAbortSignal(AbortSignal.abort(), s);
}

function statusFromHeaders(headers: IncomingHttpHeaders, rawHeaders: unknown): CallStatus {
  const raw = headers['grpc-status'];
  const code = typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  const detailsRaw = headers['grpc-status-details-bin'];
  const status: CallStatus = {
    code: Number.isNaN(code) ? Status.UNKNOWN : (code as Status),
    message: Number.isNaN(code)
      ? `malformed grpc-status: ${JSON.stringify(raw)}`
      : decodeGrpcMessage(typeof headers['grpc-message'] === 'string' ? headers['grpc-message'] : ''),
    trailers: Metadata.fromRaw(rawHeaders, headers),
  };
  if (typeof detailsRaw === 'string') status.details = Buffer.from(detailsRaw, 'base64');
  return status;
}

export class ClientCall implements H2User, H2CallListener {
  private stream: ClientHttp2Stream | undefined;
  private session: ClientHttp2Session | undefined;
  private readonly reader: FrameReader;
  private pending: Buffer[] | undefined;
  private pendingEnd = false;
  private drainWaiters: (() => void)[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private messages = 0;
  private httpStatus = 0;
  private contentType: string | undefined;
  private received: CallStatus | undefined;
  private streamError: Error | undefined;
  private paused = false;
  private early: Buffer[] | undefined;
  /** The call on the h2 transport, when it runs there. */
  private h2: H2Call | undefined;
  /** grpc-timeout's value for the h2 call, from start() to the connection. */
  private timeout: string | undefined;
  private readonly onAbort = (): void => {
    const reason: unknown = this.options.signal?.reason;
    const why = reason instanceof Error ? reason.message : String(reason ?? 'aborted');
    this.fail(Status.CANCELLED, `call cancelled: ${why}`);
  };

  constructor(
    private readonly channel: Channel,
    private readonly options: ClientCallOptions,
    private readonly listener: ClientCallListener,
  ) {
    this.reader = new FrameReader(channel.maxReceiveMessageBytes, (m) => {
      this.messages++;
      if (!this.finished) listener.onMessage(m);
    });
  }

  /** Starts the call. Messages written before the stream exists are queued. */
  start(): this {
    const { signal, deadline } = this.options;
    if (signal?.aborted) {
      this.onAbort();
      return this;
    }
    const headers = this.channel.baseHeaders(this.options.path);
    if (deadline !== undefined) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.fail(Status.DEADLINE_EXCEEDED, 'context deadline exceeded');
        return this;
      }
      headers['grpc-timeout'] = encodeTimeout(left);
      this.timer = setTimeout(() => this.fail(Status.DEADLINE_EXCEEDED, 'context deadline exceeded'), left);
      this.timer.unref();
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (this.channel.transport === 'h2') {
      this.startH2(headers['grpc-timeout'] as string | undefined);
      return this;
    }
    this.options.metadata?.addTo(headers);
    this.channel.open(headers, (s) => this.attach(s));
    return this;
  }

  /**
   * The call on the h2 transport. A single-response call gets its one
   * message with the status; a streaming one gets each as it arrives.
   * Messages written before the connection is up are sent with the headers.
   */
  private startH2(timeout: string | undefined): void {
    if (this.finished) return;
    const call = new H2Call(this, this.channel.maxReceiveMessageBytes, !this.options.singleResponse);
    call.onWritable = () => this.wakeDrain();
    if (this.paused) call.pause();
    this.h2 = call;
    this.timeout = timeout;
    this.channel.withH2(this);
  }

  /** @internal the h2 transport's connection for this call (H2User). */
  useConnection(conn: H2Connection | Error): void {
    const call = this.h2!;
    if (call.finished) return;
    if (conn instanceof Error) return call.noConnection(conn);
    const queued = this.pending ?? [];
    this.pending = undefined;
    const body = queued.length === 1 ? queued[0]! : Buffer.concat(queued);
    const { path, metadata } = this.options;
    call.start(conn, this.channel.unaryMethod(path), body, this.timeout, metadata, this.pendingEnd);
  }

  /** @internal the h2 call's end (H2CallListener): a single-response call's message comes with it. */
  onCallEnd(status: CallStatus, message: Buffer | undefined): void {
    if (message) {
      this.messages++;
      this.listener.onMessage(message);
    }
    this.finish(status);
  }

  /** @internal a streaming h2 call's message (H2CallListener). */
  onCallMessage(message: Buffer): void {
    this.listener.onMessage(message);
  }

  private attach(s: ClientHttp2Stream | Error): void {
    if (s instanceof InvalidHeadersError) {
      // grpc-go's client fails invalid metadata with Internal too, before sending.
      this.fail(Status.INTERNAL, `invalid request metadata: ${s.message}`);
      return;
    }
    if (s instanceof Error) {
      this.fail(Status.UNAVAILABLE, `connection error: ${s.message}`, true);
      return;
    }
    if (this.finished) {
      s.on('error', () => {});
      resetStream(s);
      return;
    }
    this.stream = s;
    this.session = s.session as ClientHttp2Session | undefined;
    // Node passes the raw header list last, though its types do not say so.
    s.on('response', (headers: IncomingHttpHeaders, ...rest: unknown[]) => this.onResponse(headers, rest[1]));
    s.on('trailers', (trailers: IncomingHttpHeaders, ...rest: unknown[]) => {
      this.received = statusFromHeaders(trailers, rest[1]);
    });
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('end', () => this.complete(false));
    s.on('close', () => this.complete(true));
    s.on('error', (err: Error) => {
      this.streamError ??= err;
    });
    if (this.drainWaiters) s.on('drain', () => this.wakeDrain());
    if (this.paused) s.pause();
    const queued = this.pending;
    this.pending = undefined;
    if (queued) {
      const last = queued.length - 1;
      for (let i = 0; i < last; i++) s.write(queued[i]);
      if (this.pendingEnd && last >= 0) s.end(queued[last]);
      else if (last >= 0) s.write(queued[last]);
    }
    if (this.pendingEnd && !queued?.length) s.end();
  }

  private onResponse(headers: IncomingHttpHeaders, rawHeaders: unknown): void {
    this.httpStatus = Number(headers[':status']);
    const ct = headers['content-type'];
    this.contentType = typeof ct === 'string' ? ct : undefined;
    // Trailers-only: the status is in the response headers.
    if (headers['grpc-status'] !== undefined) this.received = statusFromHeaders(headers, rawHeaders);
    const early = this.early;
    this.early = undefined;
    if (early) for (const chunk of early) this.onData(chunk);
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    // Node emits 'response' on the next tick, so DATA read in the same chunk
    // as HEADERS arrives first: hold it until we know what the body is.
    if (this.httpStatus === 0) {
      (this.early ??= []).push(chunk);
      return;
    }
    // A body that is not gRPC (an HTTP error page, say) is not parsed as frames.
    if (this.httpStatus !== 200 || !this.contentType?.startsWith('application/grpc')) return;
    const err = this.reader.push(chunk);
    if (err) this.fail(err.code, err.message);
  }

  /** Sends one message; false when the caller should wait for {@link onDrain}. */
  write(message: Uint8Array): boolean {
    if (this.finished) return true;
    if (message.length > this.channel.maxSendMessageBytes) {
      this.fail(
        Status.RESOURCE_EXHAUSTED,
        // grpc-go's client words it so (its server says "grpc: trying to send…").
        `trying to send message larger than max (${message.length} vs. ${this.channel.maxSendMessageBytes})`,
      );
      return true;
    }
    const frame = encodeFrame(message);
    if (this.h2?.started) return this.h2.write(frame);
    if (!this.stream) {
      (this.pending ??= []).push(frame);
      return true;
    }
    return this.stream.write(frame);
  }

  /** Half-closes: no more messages from us. */
  end(): void {
    if (this.finished) return;
    if (this.h2?.started) this.h2.end();
    else if (this.stream) this.stream.end();
    else this.pendingEnd = true;
  }

  /** Calls `wake` once the transport can take more (or the call is over). */
  onDrain(wake: () => void): void {
    if (this.finished) {
      wake();
      return;
    }
    if (!this.drainWaiters) {
      this.drainWaiters = [];
      this.stream?.on('drain', () => this.wakeDrain());
    }
    this.drainWaiters.push(wake);
  }

  private wakeDrain(): void {
    const waiters = this.drainWaiters?.splice(0) ?? [];
    for (const w of waiters) w();
  }

  /** Stops reading responses until {@link resume} (flow control pushes back on the server). */
  pause(): void {
    this.paused = true;
    this.stream?.pause();
    this.h2?.pause();
  }

  resume(): void {
    this.paused = false;
    this.stream?.resume();
    this.h2?.resume();
  }

  /** Cancels the call (RST_STREAM CANCEL); the status is CANCELLED. */
  cancel(reason = 'cancelled by the client'): void {
    this.fail(Status.CANCELLED, reason);
  }

  /** Ends the call here, with a status of our own, and tells the server. */
  private fail(code: Status, message: string, connectionLost = false): void {
    if (this.finished) return;
    if (this.h2 && !connectionLost) {
      this.h2.cancel(code, message); // RST_STREAM CANCEL if it started; reports back through finish()
      return;
    }
    this.finish({ code, message, trailers: NO_TRAILERS, ...(connectionLost ? { connectionLost } : {}) });
    const s = this.stream;
    if (s && !s.closed) resetStream(s);
  }

  private complete(closed: boolean): void {
    if (this.finished) return;
    const got = this.received;
    if (got) {
      if (this.reader.partial) {
        this.finish({
          code: Status.INTERNAL,
          message: 'grpc: the stream ended inside a message',
          trailers: got.trailers,
        });
      } else if (got.code === Status.OK && this.options.singleResponse && this.messages !== 1) {
        this.finish({
          code: this.messages === 0 ? Status.UNIMPLEMENTED : Status.INTERNAL,
          message:
            this.messages === 0
              ? 'grpc: the server sent no response message'
              : `grpc: the server sent ${this.messages} response messages to a call expecting one`,
          trailers: got.trailers,
        });
      } else {
        this.finish(got);
      }
      return;
    }
    if (!closed) return; // trailers may still come; decide on close
    this.finish(this.endedWithoutStatus());
  }

  private endedWithoutStatus(): CallStatus {
    const lost = this.session ? this.channel.sessionFailure(this.session) : undefined;
    if (lost)
      return {
        code: Status.UNAVAILABLE,
        message: `connection closed: ${lost.message}`,
        trailers: NO_TRAILERS,
        connectionLost: true,
      };
    if (this.httpStatus !== 0 && this.httpStatus !== 200) {
      return {
        code: statusFromHttp(this.httpStatus),
        message: `unexpected HTTP status code received from server: ${this.httpStatus}`,
        trailers: NO_TRAILERS,
      };
    }
    if (this.httpStatus === 200 && !this.contentType?.startsWith('application/grpc')) {
      return {
        code: Status.UNKNOWN,
        message: `unexpected content-type received from server: ${JSON.stringify(this.contentType ?? '')}`,
        trailers: NO_TRAILERS,
      };
    }
    const rst = this.stream?.rstCode ?? H2Code.NO_ERROR;
    if (rst !== H2Code.NO_ERROR) {
      return {
        code: statusFromRstCode(rst),
        message: `stream terminated by RST_STREAM with error code: ${h2CodeName(rst)}`,
        trailers: NO_TRAILERS,
      };
    }
    return {
      code: Status.INTERNAL,
      message: this.streamError
        ? `stream error: ${this.streamError.message}`
        : 'server closed the stream without sending trailers',
      trailers: NO_TRAILERS,
    };
  }

  private finish(status: CallStatus): void {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.pending = undefined;
    this.wakeDrain();
    this.listener.onStatus(status);
  }
}
