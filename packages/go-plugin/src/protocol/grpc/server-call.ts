/**
 * One call on a gRPC server, whatever carries it: its deadline, cancellation,
 * the request messages (collected or streamed) and the ways to answer. The
 * HTTP/2 side is a subclass's: node:http2 (node-server-call.ts) or our own
 * h2 connection (h2-server-call.ts).
 */
import { encodeFrame, FrameReader } from './framing.js';
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
  /** Runs `fn` when the server stops; returns the remover. */
  onStop(fn: () => void): () => void;
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
  private reader: FrameReader | undefined;
  private queue: MessageQueue<Buffer> | undefined;
  private collected: Buffer[] | undefined;
  private onCollected: ((messages: Buffer[]) => void) | undefined;
  private readonly releaseServerSignal: () => void;
  /** Called when the call ends for any reason (handlers release resources). */
  private readonly endListeners: (() => void)[] = [];

  protected constructor(
    readonly method: string,
    protected readonly owner: CallOwner,
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
    this.releaseServerSignal = owner.onStop(() => this.cancel('server stopping'));
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
      () => this.pauseRequest(),
      () => this.resumeRequest(),
    );
    this.startReading((m) => this.queue!.push(m));
    return this.queue;
  }

  private startReading(onMessage: (m: Buffer) => void): void {
    this.reader = new FrameReader(this.owner.maxReceiveMessageBytes, onMessage);
    this.readRequest();
  }

  /** Starts handing request bytes to {@link received} and the request's end to {@link requestEnded}. */
  protected abstract readRequest(): void;
  /** Backpressure on the client while a streaming handler is behind. */
  protected abstract pauseRequest(): void;
  protected abstract resumeRequest(): void;

  /** A chunk of the request's DATA. */
  protected received(chunk: Buffer): void {
    if (this.finished) return;
    const err = this.reader!.push(chunk);
    if (err) {
      this.queue?.end(err);
      this.sendStatus({ code: err.code, message: err.message });
    }
  }

  /** The client half-closed: the request is complete (or cut inside a message). */
  protected requestEnded(): void {
    if (this.finished) return;
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
    this.releaseServerSignal();
    this.queue?.end(this.cancelled !== undefined ? STREAM_CLOSED : undefined);
    for (const fn of this.endListeners.splice(0)) fn();
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
