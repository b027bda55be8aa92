/**
 * gRPC unary calls on an {@link H2Connection}: one request message, one
 * response message and a status from trailers or a trailers-only response.
 * A deadline sends grpc-timeout and, when it passes, RST_STREAM CANCEL (as
 * does an AbortSignal), so the server sees both. Failures are RpcErrors with
 * the gRPC code grpc-go would give; an HTTP/2 cause is attached as `cause`.
 */
import { encodeFrame, FrameReader } from '../grpc/framing.js';
import { Metadata } from '../grpc/metadata.js';
import type { OutgoingHttpHeaders } from 'node:http2';
import { decodeGrpcMessage, Status, statusFromHttp, statusFromRstCode } from '../grpc/status.js';
import { encodeTimeout } from '../grpc/timeout.js';
import { RpcError } from '../rpc-error.js';
import type { H2Connection, H2Stream, StreamHandler } from './connection.js';
import { H2Code, H2Error } from './errors.js';
import { encodeHeaderBlock, headerListSize } from './hpack-encoder.js';

export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_SEND_MESSAGE_BYTES = 2 ** 31 - 1;

/** A method's constant request headers, HPACK-encoded once. */
export class UnaryMethod {
  readonly block: Buffer;
  /** Their size as SETTINGS_MAX_HEADER_LIST_SIZE counts it. */
  readonly listSize: number;

  constructor(
    readonly path: string,
    options: { authority?: string; secure?: boolean } = {},
  ) {
    const fields: [string, string][] = [
      [':method', 'POST'],
      [':scheme', (options.secure ?? true) ? 'https' : 'http'],
      [':path', path],
      [':authority', options.authority ?? 'localhost'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
    ];
    this.block = encodeHeaderBlock(fields, { huffman: true });
    this.listSize = headerListSize(fields);
  }
}

export interface UnaryOptions {
  /** Absolute deadline, ms since the epoch. */
  deadline?: number;
  signal?: AbortSignal;
  metadata?: Metadata;
  /** Default 4 MiB, as grpc-go and grpc-js. */
  maxReceiveMessageBytes?: number;
  maxSendMessageBytes?: number;
}

export interface UnaryResult {
  message: Buffer;
  headers: Metadata;
  trailers: Metadata;
}

function metadataFields(md: Metadata | undefined, timeout: string | undefined): [string, string][] {
  const out: [string, string][] = [];
  if (timeout !== undefined) out.push(['grpc-timeout', timeout]);
  if (!md) return out;
  const headers: OutgoingHttpHeaders = {};
  md.addTo(headers); // validated keys and values; -bin values base64
  for (const [k, v] of Object.entries(headers)) {
    for (const value of Array.isArray(v) ? v : [v]) out.push([k, String(value)]);
  }
  return out;
}

/** Header fields (Latin-1 from HPACK) as metadata, without pseudo-headers and gRPC's own. */
function toMetadata(fields: string[]): Metadata {
  return Metadata.fromRaw(fields, {});
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** grpc-message is percent-encoded UTF-8; unescaped bytes are taken as UTF-8 too. */
function grpcMessage(raw: string | undefined): string {
  if (raw === undefined) return '';
  const s = decodeGrpcMessage(raw);
  return s === raw ? Buffer.from(raw, 'latin1').toString('utf8') : s;
}

class UnaryCall implements StreamHandler {
  stream: H2Stream | undefined;
  private readonly reader: FrameReader;
  private message: Buffer | undefined;
  private messages = 0;
  private headers: Metadata | undefined;
  private timer: NodeJS.Timeout | undefined;
  private done = false;
  private readonly onAbort = (): void => {
    const reason: unknown = this.options.signal?.reason;
    const why = reason instanceof Error ? reason.message : String(reason ?? 'aborted');
    this.cancel(Status.CANCELLED, `call cancelled: ${why}`);
  };

  constructor(
    private readonly options: UnaryOptions,
    private readonly resolve: (r: UnaryResult) => void,
    private readonly reject: (err: RpcError) => void,
  ) {
    this.reader = new FrameReader(
      options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
      (m) => {
        this.messages++;
        this.message = m;
      },
    );
  }

  arm(left: number | undefined): void {
    if (left !== undefined) {
      this.timer = setTimeout(() => this.cancel(Status.DEADLINE_EXCEEDED, 'context deadline exceeded'), left);
      this.timer.unref();
    }
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Ends the call from our side: RST_STREAM CANCEL, then the status. */
  cancel(code: Status, details: string, cause?: unknown): void {
    if (this.done) return;
    this.stream?.reset(H2Code.CANCEL);
    this.fail(code, details, cause);
  }

  fail(code: Status, details: string, cause?: unknown, trailers?: Metadata): void {
    this.finish(new RpcError(code, details, { cause, ...(trailers ? { metadata: trailers } : {}) }));
  }

  private finish(result: RpcError | UnaryResult): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (result instanceof RpcError) this.reject(result);
    else this.resolve(result);
  }

  onHeaders(fields: string[], endStream: boolean): void {
    if (this.done) return;
    if (this.headers === undefined) {
      const httpStatus = Number(field(fields, ':status'));
      if (endStream && field(fields, 'grpc-status') !== undefined) {
        this.headers = new Metadata();
        return this.status(fields); // trailers-only
      }
      if (httpStatus !== 200) {
        return this.cancel(
          statusFromHttp(httpStatus),
          `unexpected HTTP status code received from server: ${httpStatus}`,
        );
      }
      const ct = field(fields, 'content-type');
      if (!ct?.startsWith('application/grpc')) {
        return this.cancel(
          Status.UNKNOWN,
          `unexpected content-type received from server: ${JSON.stringify(ct ?? '')}`,
        );
      }
      const enc = field(fields, 'grpc-encoding');
      if (enc !== undefined && enc !== 'identity') {
        return this.cancel(
          Status.INTERNAL,
          `grpc: the server used grpc-encoding ${enc}, which we did not offer`,
        );
      }
      this.headers = toMetadata(fields);
      if (endStream) this.fail(Status.INTERNAL, 'server closed the stream without sending trailers');
      return;
    }
    if (!endStream) {
      return this.cancel(Status.INTERNAL, 'grpc: trailers without END_STREAM');
    }
    this.status(fields);
  }

  onData(buf: Buffer, start: number, end: number, endStream: boolean): void {
    if (this.done) return;
    if (this.headers === undefined) return this.cancel(Status.INTERNAL, 'grpc: DATA before response headers');
    if (end > start) {
      const err = this.reader.push(buf.subarray(start, end));
      if (err) return this.cancel(err.code, err.message);
      if (this.messages > 1) {
        return this.cancel(
          Status.INTERNAL,
          `grpc: the server sent ${this.messages} response messages to a unary call`,
        );
      }
    }
    if (endStream) this.fail(Status.INTERNAL, 'server closed the stream without sending trailers');
  }

  onError(err: H2Error): void {
    if (this.done) return;
    if (err.code === 'STREAM_RESET') {
      return this.fail(statusFromRstCode(err.h2Code), err.message, err);
    }
    if (err.scope === 'stream') return this.fail(Status.INTERNAL, err.message, err);
    this.fail(Status.UNAVAILABLE, `connection error: ${err.message}`, err);
  }

  private status(fields: string[]): void {
    const raw = field(fields, 'grpc-status');
    const trailers = toMetadata(fields);
    if (raw === undefined || !/^[0-9]+$/.test(raw)) {
      return this.fail(
        Status.UNKNOWN,
        `malformed grpc-status: ${JSON.stringify(raw ?? '')}`,
        undefined,
        trailers,
      );
    }
    const code = Number(raw) as Status;
    if (code !== Status.OK) {
      const details = field(fields, 'grpc-status-details-bin');
      return this.finish(
        new RpcError(code, grpcMessage(field(fields, 'grpc-message')), {
          metadata: trailers,
          ...(details !== undefined ? { statusDetails: Buffer.from(details, 'base64') } : {}),
        }),
      );
    }
    if (this.reader.partial)
      return this.fail(Status.INTERNAL, 'grpc: the stream ended inside a message', undefined, trailers);
    if (this.message === undefined) {
      return this.fail(
        Status.UNIMPLEMENTED,
        'grpc: the server sent no response message',
        undefined,
        trailers,
      );
    }
    this.finish({ message: this.message, headers: this.headers ?? new Metadata(), trailers });
  }
}

/** One unary call; rejects with an RpcError. */
export function unaryCall(
  conn: H2Connection,
  method: UnaryMethod,
  message: Uint8Array,
  options: UnaryOptions = {},
): Promise<UnaryResult> {
  return new Promise<UnaryResult>((resolve, reject) => {
    const call = new UnaryCall(options, resolve, reject);
    if (options.signal?.aborted) return call.fail(Status.CANCELLED, 'call cancelled before it started');
    const maxSend = options.maxSendMessageBytes ?? DEFAULT_MAX_SEND_MESSAGE_BYTES;
    if (message.length > maxSend) {
      return call.fail(
        Status.RESOURCE_EXHAUSTED,
        `trying to send message larger than max (${message.length} vs. ${maxSend})`,
      );
    }
    let left: number | undefined;
    if (options.deadline !== undefined) {
      left = options.deadline - Date.now();
      if (left <= 0) return call.fail(Status.DEADLINE_EXCEEDED, 'context deadline exceeded');
    }
    let extra: [string, string][];
    try {
      extra = metadataFields(options.metadata, left === undefined ? undefined : encodeTimeout(left));
    } catch (err) {
      return call.fail(Status.INTERNAL, `invalid request metadata: ${(err as Error).message}`, err);
    }
    let block = method.block;
    if (extra.length > 0) block = Buffer.concat([block, encodeHeaderBlock(extra)]);
    const listSize = method.listSize + (extra.length > 0 ? headerListSize(extra) : 0);
    if (listSize > conn.peerMaxHeaderList) {
      return call.fail(
        Status.INTERNAL,
        `request headers of ${listSize} bytes exceed the server's SETTINGS_MAX_HEADER_LIST_SIZE of ${conn.peerMaxHeaderList}`,
      );
    }
    const s = conn.request(block, encodeFrame(message), call);
    if (s instanceof H2Error) return call.onError(s);
    call.stream = s;
    call.arm(left);
  });
}
