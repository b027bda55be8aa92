/**
 * One stream of an HTTP/2 connection (H2Connection), as its owner (a call) sees it: the
 * bytes still queued to send (a client's request, a server's response), both
 * flow-control windows, and how it ends.
 */
import type { H2Endpoint, StreamHandler } from './endpoint.js';
import { H2Code } from './errors.js';

/** A stream's write() asks the caller to wait once this much is queued unsent (node:http2 streams wait at 16 KiB). */
const WRITE_HIGH_WATER = 64 * 1024;

export class H2Stream {
  /** 0 until opened (it may wait for MAX_CONCURRENT_STREAMS). */
  id = 0;
  sendWindow = 0;
  recvWindow: number;
  recvUnacked = 0;
  /** Request bytes not yet sent (flow control, or the stream still waits to open); `sendOff` is into the first. */
  sendQueue: Buffer[];
  sendOff = 0;
  queuedBytes: number;
  /** No request bytes will follow those queued: END_STREAM goes with the last of them. */
  localEnd: boolean;
  /** END_STREAM sent. */
  localEnded = false;
  /** The peer ended its side (END_STREAM seen). */
  remoteEnded = false;
  done = false;
  /** While paused, the stream's receive window is not replenished: the peer stops once it is spent. */
  paused = false;
  /** Server: the trailers' header block, sent with END_STREAM once the queued DATA is out. */
  trailers: Buffer | undefined;
  /** Called once the queue has gone out after a {@link write} returned false. */
  onWritable: (() => void) | undefined;
  wantWritable = false;

  constructor(
    readonly conn: H2Endpoint,
    readonly headerBlock: Buffer,
    body: Buffer,
    public handler: StreamHandler,
    end: boolean,
  ) {
    this.sendQueue = body.length > 0 || end ? [body] : [];
    this.queuedBytes = body.length;
    this.localEnd = end;
    this.recvWindow = conn.receiveWindow;
  }

  /**
   * Queues request bytes (sent as the windows allow). False when the caller
   * should wait for {@link onWritable} before writing more: this stream's
   * queue is past its high-water mark, or the socket's is.
   */
  write(buf: Buffer): boolean {
    if (this.done || this.localEnd) return true;
    if (buf.length === 0) return this.queuedBytes < WRITE_HIGH_WATER;
    this.sendQueue.push(buf);
    this.queuedBytes += buf.length;
    this.conn.pumpStream(this);
    const congested = this.conn.congested;
    if (this.queuedBytes < WRITE_HIGH_WATER && !congested) return true;
    this.wantWritable = true;
    // Held back by the socket (the peer reads slower than we write), not only by flow control.
    if (congested) this.conn.waitDrain(this);
    return false;
  }

  /** Server: the response's header block; with `endStream`, a trailers-only response that ends the stream. */
  respond(headerBlock: Buffer, endStream = false): void {
    this.conn.sendHeaders(this, headerBlock, endStream);
  }

  /** Server: a whole response at once (headers, one DATA payload, trailers), in one write when it fits. */
  respondWhole(headerBlock: Buffer, body: Buffer, trailers: Buffer): void {
    this.conn.sendWhole(this, headerBlock, body, trailers);
  }

  /** Half-closes: END_STREAM after what is queued, on trailers (a server's status) if given. */
  end(trailers?: Buffer): void {
    if (this.done || this.localEnd) return;
    this.localEnd = true;
    this.trailers = trailers;
    this.conn.pumpStream(this);
  }

  /** Stops replenishing the stream's receive window (backpressure on the peer). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.conn.replenish(this);
  }

  /** Ends the stream from our side with RST_STREAM (CANCEL by default). The handler hears nothing more. */
  reset(code: number = H2Code.CANCEL): void {
    this.conn.resetStream(this, code);
  }
}
