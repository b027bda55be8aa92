/**
 * A server call carried by a stream of our own HTTP/2 connection (h2/): the
 * call is the stream's handler, so request DATA reaches the frame reader
 * without a Duplex in between, and a unary answer (headers, message,
 * trailers) leaves in the connection's next write.
 */
import type { Socket } from 'node:net';

import type { H2Connection, H2Error, H2Stream, StreamHandler } from '../h2/index.js';
import { encodeHeaderBlock } from '../h2/index.js';
import { Metadata } from './metadata.js';
import { peerOf, ServerCall, STREAM_CLOSED, statusFields } from './server-call.js';
import type { CallOwner, StatusError } from './server-call.js';

const RESPONSE_FIELDS: [string, string][] = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];
/** Our encoder keeps no dynamic table, so constant blocks are built once and reused. */
const RESPONSE_BLOCK = encodeHeaderBlock(RESPONSE_FIELDS);
const OK_TRAILERS_BLOCK = encodeHeaderBlock([['grpc-status', '0']]);

/** A whole response that is only a status (refusals before any handler runs; error answers). */
export function statusOnlyBlock(status: StatusError): Buffer {
  return encodeHeaderBlock([...RESPONSE_FIELDS, ...statusFields(status)]);
}

export class H2ServerCall extends ServerCall implements StreamHandler {
  private metadataValue: Metadata | undefined;
  private responded = false;
  private reading = false;
  /** Request bytes that came before the handler started reading. */
  private early: Buffer[] | undefined;
  private requestDone: boolean;
  private writer: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(
    method: string,
    private readonly stream: H2Stream,
    private readonly conn: H2Connection,
    private readonly fields: string[],
    owner: CallOwner,
    timeoutMs: number | undefined,
    endStream: boolean,
  ) {
    super(method, owner, timeoutMs);
    this.requestDone = endStream;
    // Until the handler reads, the stream's window is held: a handler that never reads buffers one window at most.
    stream.pause();
  }

  get metadata(): Metadata {
    return (this.metadataValue ??= Metadata.fromRaw(this.fields, {}));
  }

  get peer(): string {
    return peerOf(this.conn.socket as Partial<Socket>);
  }

  protected get closed(): boolean {
    return this.stream.done;
  }

  // StreamHandler: what the connection tells the call.

  onHeaders(_fields: string[], endStream: boolean): void {
    // The client's trailers (gRPC clients send none, but HTTP/2 allows them): the request is complete.
    if (endStream) this.endOfRequest();
  }

  onData(buf: Buffer, start: number, end: number, endStream: boolean): void {
    if (end > start) {
      // Socket chunks are never reused, so a view is safe to keep until the message is decoded.
      const chunk = buf.subarray(start, end);
      if (this.reading) this.received(chunk);
      else (this.early ??= []).push(chunk);
    }
    if (endStream) this.endOfRequest();
  }

  onError(_err: H2Error): void {
    const w = this.writer;
    this.writer = undefined;
    w?.reject(STREAM_CLOSED);
    this.clientGone();
  }

  private endOfRequest(): void {
    this.requestDone = true;
    if (this.reading) this.requestEnded();
  }

  protected readRequest(): void {
    this.reading = true;
    this.stream.resume();
    const early = this.early;
    this.early = undefined;
    if (early) for (const chunk of early) this.received(chunk);
    if (this.requestDone) this.requestEnded();
  }

  protected pauseRequest(): void {
    this.stream.pause();
  }

  protected resumeRequest(): void {
    this.stream.resume();
  }

  private respondOnce(): void {
    if (this.responded) return;
    this.responded = true;
    this.stream.respond(RESPONSE_BLOCK);
  }

  protected writeMessage(frame: Buffer): Promise<void> {
    this.respondOnce();
    if (this.stream.write(frame)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.writer = { resolve, reject };
      this.stream.onWritable = () => {
        const w = this.writer;
        this.writer = undefined;
        w?.resolve();
      };
    });
  }

  protected writeLast(frame: Buffer): void {
    if (!this.responded) {
      // A unary answer: headers, message and trailers leave as one buffer.
      this.responded = true;
      this.stream.respondWhole(RESPONSE_BLOCK, frame, OK_TRAILERS_BLOCK);
      return;
    }
    this.stream.write(frame);
    this.stream.end(OK_TRAILERS_BLOCK);
  }

  protected writeStatus(status: StatusError): void {
    // A send still waiting for the window will not go out now.
    const w = this.writer;
    this.writer = undefined;
    w?.reject(STREAM_CLOSED);
    if (!this.responded) {
      this.responded = true;
      this.stream.respond(statusOnlyBlock(status), true);
    } else {
      this.stream.end(encodeHeaderBlock(statusFields(status)));
    }
  }
}
