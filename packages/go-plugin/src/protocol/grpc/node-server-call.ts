/**
 * A server call carried by a node:http2 stream (the transport the host
 * check's probe keeps, independent of our own HTTP/2 code).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';

import { Metadata } from './metadata.js';
import { peerOf, ServerCall, STREAM_CLOSED, statusFields } from './server-call.js';
import type { CallOwner, StatusError } from './server-call.js';
import { Status } from './status.js';

const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc' } as const;

/** Status fields as node:http2 headers (repeated names as arrays). */
export function statusHeaders(s: StatusError): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of statusFields(s)) {
    const had = out[k];
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [String(had), v];
  }
  return out;
}

/** A whole response that is only a status (refusals before any handler runs). */
export function trailersOnly(stream: ServerHttp2Stream, status: StatusError): void {
  stream.on('error', () => {});
  stream.respond({ ...RESPONSE_HEADERS, ...statusHeaders(status) }, { endStream: true });
}

export class NodeServerCall extends ServerCall {
  private metadataValue: Metadata | undefined;
  private responded = false;
  private trailer: StatusError | undefined;
  private reading = false;

  constructor(
    method: string,
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly rawHeaders: unknown,
    owner: CallOwner,
    timeoutMs: number | undefined,
  ) {
    super(method, owner, timeoutMs);
    stream.on('close', () => this.clientGone());
    stream.on('error', () => {}); // 'close' follows; the call is cancelled there
  }

  get metadata(): Metadata {
    return (this.metadataValue ??= Metadata.fromRaw(this.rawHeaders, this.headers));
  }

  get peer(): string {
    const socket = this.stream.session?.socket;
    if (!socket) return 'unknown';
    return peerOf(socket);
  }

  protected get closed(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  protected readRequest(): void {
    this.reading = true;
    this.stream.on('data', (chunk: Buffer) => this.received(chunk));
    this.stream.on('end', () => {
      // A reset stream also ends its readable side: that is a cancel ('close'
      // follows), not the client half-closing a complete request.
      if (!this.stream.aborted) this.requestEnded();
    });
  }

  protected pauseRequest(): void {
    this.stream.pause();
  }

  protected resumeRequest(): void {
    this.stream.resume();
  }

  private respondHeaders(): void {
    this.responded = true;
    this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    this.stream.once('wantTrailers', () => {
      const t = this.trailer ?? { code: Status.OK, message: '' };
      try {
        this.stream.sendTrailers(statusHeaders(t));
      } catch {
        // the stream went away meanwhile
      }
    });
  }

  protected writeMessage(frame: Buffer): Promise<void> {
    if (!this.responded) this.respondHeaders();
    if (this.stream.write(frame)) return Promise.resolve();
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

  protected writeLast(frame: Buffer): void {
    if (!this.responded) this.respondHeaders();
    this.stream.end(frame);
  }

  protected writeStatus(status: StatusError): void {
    if (!this.responded) {
      this.responded = true;
      trailersOnly(this.stream, status);
    } else {
      this.trailer = status;
      this.stream.end();
    }
    // A client still sending after our status gets its stream reset (as HTTP/2 wants).
    if (this.reading && !this.stream.readableEnded) this.stream.close(0); // NO_ERROR;
  }
}
