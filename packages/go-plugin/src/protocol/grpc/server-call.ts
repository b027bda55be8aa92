/**
 * One call on a gRPC server, whatever carries it: its deadline, cancellation,
 * the request messages (collected or streamed) and the ways to answer. The
 * HTTP/2 side is a subclass's: node:http2 (node-server-call.ts) or our own
 * h2 connection (h2-server-call.ts).
 */
import {
  checkFrameHeader,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameReader,
  wholeFrameLength,
} from './framing.js';
import type { FrameError } from './framing.js';
import type { Metadata } from './metadata.js';
import { MessageQueue } from './queue.js';
import { encodeGrpcMessage, Status } from './status.js';

/** An error a handler answers with: a status code, its message, optional details and trailers. */
export interface StatusError {
  code: Status;
  message: string;
  details?: Uint8Array;
  trailers?: Metadata;
}

/** What a call needs of its server. */
export interface CallOwner {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  /** The server's calls in flight, told when it stops. */
  readonly calls: LiveCalls;
}

/**
 * The calls in flight, linked through the calls themselves: adding and
 * removing one allocates nothing (a Set of per-call callbacks did, per call).
 */
export class LiveCalls {
  /** @internal */
  head: ServerCall | undefined;
  /** Set once the server stops: calls added later are cancelled at once. */
  stopped = false;

  /** Cancels every call in flight ("server stopping"); later ones are cancelled as they come. */
  stop(): void {
    this.stopped = true;
    for (let c = this.head; c;) {
      const next = c.nextLive;
      c.serverStopping();
      c = next;
    }
  }

  /** How many calls are in flight (walks the list: for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (let c = this.head; c; c = c.nextLive) n++;
    return n;
  }
}

function expire(call: ServerCall): void {
  call.deadlinePassed();
}

export const STREAM_CLOSED = new Error('stream closed');
/** Request messages queued for a streaming handler before reading from the peer pauses. */
const QUEUE_MARK = 32;

export abstract class ServerCall {
  /** Absolute deadline from grpc-timeout (ms since the epoch), if the client set one. */
  readonly deadline: number | undefined;
  private controller: AbortController | undefined;
  private cancelled: string | undefined;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  /** Made only when a message spans DATA frames or one frame holds several. */
  private reader: FrameReader | undefined;
  /** Where request messages go: collected for unary kinds, queued for streaming ones. */
  private readMode: 'collect' | 'stream' | undefined;
  private queue: MessageQueue<Buffer> | undefined;
  /** Unary kinds: the first request message and how many came. */
  private first: Buffer | undefined;
  private count = 0;
  private onCollected: ((message: Buffer | undefined, count: number) => void) | undefined;
  /** Called when the call ends for any reason (handlers release resources). */
  private endListeners: (() => void)[] | undefined;
  /** @internal LiveCalls' links. */
  nextLive: ServerCall | undefined;
  private prevLive: ServerCall | undefined;

  protected constructor(
    readonly method: string,
    protected readonly owner: CallOwner,
    timeoutMs: number | undefined,
  ) {
    this.deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(expire, timeoutMs, this);
      this.timer.unref();
    }
    const live = owner.calls;
    if (live.stopped) {
      this.cancelled = 'server stopping';
      return;
    }
    const head = live.head;
    this.nextLive = head;
    if (head) head.prevLive = this;
    live.head = this;
  }

  /** @internal the deadline's timer. */
  deadlinePassed(): void {
    this.cancel('context deadline exceeded');
    this.sendStatus({ code: Status.DEADLINE_EXCEEDED, message: 'context deadline exceeded' });
  }

  /** @internal LiveCalls.stop. */
  serverStopping(): void {
    this.cancel('server stopping');
  }

  private unlink(): void {
    const live = this.owner.calls;
    const { prevLive: prev, nextLive: next } = this;
    if (prev) prev.nextLive = next;
    else if (live.head === this) live.head = next;
    if (next) next.prevLive = prev;
    this.prevLive = this.nextLive = undefined;
  }

  /** Request metadata (parsed on first use). */
  abstract get metadata(): Metadata;

  /** The client's address, or `unix`. */
  abstract get peer(): string;

  /** Aborted when the client cancels, the deadline passes or the server stops (made on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled !== undefined) this.controller.abort(new Error(this.cancelled));
    }
    return this.controller.signal;
  }

  /** True once the call has ended (status sent, or the client went away). */
  get done(): boolean {
    return this.finished;
  }

  /** Runs `fn` when the call ends, however it ends. */
  onEnd(fn: () => void): void {
    if (this.finished) fn();
    else (this.endListeners ??= []).push(fn);
  }

  /**
   * Reads the request of a unary kind until the client half-closes:
   * `onDone` gets the first message (if any) and how many came.
   */
  readAll(onDone: (message: Buffer | undefined, count: number) => void): void {
    this.readMode = 'collect';
    this.onCollected = onDone;
    this.readRequest();
  }

  /** Reads the request as a stream of messages (client- and bidi-streaming). */
  readStream(): AsyncIterable<Buffer> {
    this.queue = new MessageQueue<Buffer>(
      QUEUE_MARK,
      () => this.pauseRequest(),
      () => this.resumeRequest(),
    );
    this.readMode = 'stream';
    this.readRequest();
    return this.queue;
  }

  private message(m: Buffer): void {
    if (this.readMode === 'stream') {
      this.queue!.push(m);
      return;
    }
    if (this.count++ === 0) this.first = m;
  }

  /** Starts handing request bytes to {@link received} and the request's end to {@link requestEnded}. */
  protected abstract readRequest(): void;
  /** Backpressure on the client while a streaming handler is behind. */
  protected abstract pauseRequest(): void;
  protected abstract resumeRequest(): void;

  /** A chunk of the request's DATA. */
  protected received(chunk: Buffer): void {
    if (this.finished) return;
    let err: FrameError | undefined;
    const whole = this.reader === undefined && wholeFrameLength(chunk, 0, chunk.length);
    if (whole !== false) {
      // The usual case: one whole message in one DATA frame.
      err = checkFrameHeader(chunk[0]!, whole, this.owner.maxReceiveMessageBytes);
      if (!err) this.message(chunk.subarray(FRAME_HEADER_BYTES));
    } else {
      this.reader ??= new FrameReader(this.owner.maxReceiveMessageBytes, (m) => this.message(m));
      err = this.reader.push(chunk);
    }
    if (err) {
      this.queue?.end(err);
      this.sendStatus({ code: err.code, message: err.message });
    }
  }

  /** The client half-closed: the request is complete (or cut inside a message). */
  protected requestEnded(): void {
    if (this.finished) return;
    if (this.reader?.partial) {
      const err = { code: Status.INTERNAL, message: 'grpc: the stream ended inside a message' };
      this.queue?.end(err);
      this.sendStatus(err);
      return;
    }
    this.queue?.end();
    const collect = this.onCollected;
    this.onCollected = undefined;
    const first = this.first;
    this.first = undefined;
    collect?.(first, this.count);
  }

  /** The client went away (reset, connection lost): the call is cancelled. */
  protected clientGone(): void {
    if (this.finished) return;
    this.cancel('call cancelled by the client');
    this.end();
  }

  private cancel(reason: string): void {
    if (this.cancelled !== undefined) return;
    this.cancelled = reason;
    this.controller?.abort(new Error(reason));
  }

  /** RESOURCE_EXHAUSTED (sent) when a response message is past the limit. */
  private tooLarge(message: Uint8Array): boolean {
    if (message.length <= this.owner.maxSendMessageBytes) return false;
    this.sendStatus({
      code: Status.RESOURCE_EXHAUSTED,
      message: `grpc: trying to send message larger than max (${message.length} vs. ${this.owner.maxSendMessageBytes})`,
    });
    return true;
  }

  /**
   * Sends one response message; resolves when the transport can take more.
   * Rejects once the call is over (the client went away or a status was sent).
   */
  send(message: Uint8Array): Promise<void> {
    if (this.finished || this.closed) return Promise.reject(STREAM_CLOSED);
    if (this.tooLarge(message)) return Promise.reject(STREAM_CLOSED);
    return this.writeMessage(encodeFrame(message));
  }

  /** Unary success in one go: headers, the message and OK trailers. */
  sendUnary(message: Uint8Array): void {
    if (this.finished || this.closed) return;
    if (this.tooLarge(message)) return;
    this.end();
    this.writeLast(encodeFrame(message));
  }

  /** Ends the call with a status (trailers-only if nothing was sent yet). */
  sendStatus(status: StatusError): void {
    if (this.finished) return;
    this.end();
    if (!this.closed) this.writeStatus(status);
  }

  /** The stream can take nothing more (reset, or gone with its connection). */
  protected abstract get closed(): boolean;
  /** One message frame (headers first if none went yet); resolves when more may be written. */
  protected abstract writeMessage(frame: Buffer): Promise<void>;
  /** The last message frame and OK trailers. */
  protected abstract writeLast(frame: Buffer): void;
  /** The status: as trailers, or trailers-only when no headers went yet. */
  protected abstract writeStatus(status: StatusError): void;

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.unlink();
    this.queue?.end(this.cancelled !== undefined ? STREAM_CLOSED : undefined);
    const listeners = this.endListeners;
    this.endListeners = undefined;
    if (listeners) for (const fn of listeners) fn();
  }
}

/** A client's address as handlers see it (`ctx.peer`): host:port, or `unix` for a socket without one. */
export function peerOf(socket: { remoteAddress?: string; remotePort?: number }): string {
  return socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
}

/** The status as header fields (trailers, or part of a trailers-only response). */
export function statusFields(s: StatusError): [string, string][] {
  const out: [string, string][] = [['grpc-status', String(s.code)]];
  if (s.message) out.push(['grpc-message', encodeGrpcMessage(s.message)]);
  if (s.details && s.details.length > 0)
    out.push(['grpc-status-details-bin', Buffer.from(s.details).toString('base64')]);
  if (s.trailers) out.push(...s.trailers.fields());
  return out;
}
