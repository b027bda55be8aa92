/**
 * gRPC calls on an {@link H2Connection}: unary ones (one request message, one
 * response message; {@link unaryCall}) and streaming ones (messages both ways
 * as they come, for the Channel's ClientCall), each ending with a status from
 * trailers or a trailers-only response.
 * A deadline sends grpc-timeout and, when it passes, RST_STREAM CANCEL (as
 * does an AbortSignal), so the server sees both. Failures are RpcErrors with
 * the gRPC code grpc-go would give; an HTTP/2 cause is attached as `cause`.
 */
import type { OutgoingHttpHeaders } from 'node:http2';

import type { CallStatus } from '../grpc/call.js';
import { encodeFrame, FrameReader } from '../grpc/framing.js';
import { Metadata } from '../grpc/metadata.js';
import { decodeGrpcMessage, Status, statusFromHttp, statusFromRstCode } from '../grpc/status.js';
import { encodeTimeout } from '../grpc/timeout.js';
import { RpcError } from '../rpc-error.js';
import type { H2Connection, StreamHandler } from './connection.js';
import { H2Code, H2Error, h2CodeName } from './errors.js';
import { encodeHeaderBlock, headerListSize } from './hpack-encoder.js';
import type { H2Stream } from './stream.js';

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

/** How a call ended: the status, and the response on OK. */
export type UnaryDone = (
  status: CallStatus,
  message: Buffer | undefined,
  headers: Metadata | undefined,
) => void;

const NO_METADATA = new Metadata();
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/**
 * One gRPC call on an h2 stream. Without `onMessage` it expects a single
 * response message, handed to `onDone` (unary and client-streaming calls);
 * with it, every response message goes there as it arrives (server-streaming
 * and bidi calls). The request is written whole at {@link start} or, with
 * `end` false there, through {@link write} and {@link end}. Deadlines and
 * aborts are the owner's: it calls {@link cancel}; `timeout` only sets
 * grpc-timeout.
 */
export class H2Call implements StreamHandler {
  private stream: H2Stream | undefined;
  private readonly reader: FrameReader;
  private message: Buffer | undefined;
  private messages = 0;
  private headers: Metadata | undefined;
  private done = false;
  private paused = false;
  /** Called when a write() that returned false has gone out. */
  onWritable: (() => void) | undefined;

  constructor(
    private readonly onDone: UnaryDone,
    maxReceiveMessageBytes: number = DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    private readonly onMessage?: (message: Buffer) => void,
  ) {
    this.reader = new FrameReader(maxReceiveMessageBytes, (m) => {
      this.messages++;
      if (this.onMessage) {
        if (!this.done) this.onMessage(m);
      } else this.message = m;
    });
  }

  get finished(): boolean {
    return this.done;
  }

  /** The stream is open (writes go to it). */
  get started(): boolean {
    return this.stream !== undefined;
  }

  /**
   * Sends the request on `conn`. `body` is the framed request message(s);
   * `extra` are header fields after the method's own (grpc-timeout, metadata);
   * `end` false leaves the request open for {@link write}.
   */
  start(conn: H2Connection, method: UnaryMethod, body: Buffer, extra: [string, string][], end = true): void {
    if (this.done) return;
    let block = method.block;
    let listSize = method.listSize;
    if (extra.length > 0) {
      block = Buffer.concat([block, encodeHeaderBlock(extra)]);
      listSize += headerListSize(extra);
    }
    if (listSize > conn.peerMaxHeaderList) {
      return this.fail(
        Status.INTERNAL,
        `request headers of ${listSize} bytes exceed the server's SETTINGS_MAX_HEADER_LIST_SIZE of ${conn.peerMaxHeaderList}`,
      );
    }
    const s = conn.request(block, body, this, end);
    if (s instanceof H2Error) return this.onError(s);
    this.stream = s;
    s.onWritable = () => this.onWritable?.();
    if (this.paused) s.pause();
  }

  /** Sends framed request bytes; false when the caller should wait for {@link onWritable}. */
  write(frame: Buffer): boolean {
    return this.done || !this.stream ? true : this.stream.write(frame);
  }

  /** Half-closes the request. */
  end(): void {
    if (!this.done) this.stream?.end();
  }

  /** Stops granting the server window for this call's responses (until {@link resume}). */
  pause(): void {
    this.paused = true;
    this.stream?.pause();
  }

  resume(): void {
    this.paused = false;
    this.stream?.resume();
  }

  /** Ends the call from our side: RST_STREAM CANCEL (if it started), then the status. */
  cancel(code: Status, message: string): void {
    if (this.done) return;
    this.stream?.reset(H2Code.CANCEL);
    this.fail(code, message);
  }

  private fail(code: Status, message: string, extra: Partial<CallStatus> = {}): void {
    this.finish({ code, message, trailers: NO_METADATA, ...extra }, undefined);
  }

  private finish(status: CallStatus, message: Buffer | undefined): void {
    if (this.done) return;
    this.done = true;
    this.onDone(status, message, this.headers);
  }

  onHeaders(fields: string[], endStream: boolean): void {
    if (this.done) return;
    if (this.headers === undefined) {
      const httpStatus = Number(field(fields, ':status'));
      if (endStream && field(fields, 'grpc-status') !== undefined) {
        this.headers = NO_METADATA;
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
    if (!endStream) return this.cancel(Status.INTERNAL, 'grpc: trailers without END_STREAM');
    this.status(fields);
  }

  onData(buf: Buffer, start: number, end: number, endStream: boolean): void {
    if (this.done) return;
    if (this.headers === undefined) return this.cancel(Status.INTERNAL, 'grpc: DATA before response headers');
    if (end > start) {
      const err = this.reader.push(buf.subarray(start, end));
      if (err) return this.cancel(err.code, err.message);
      if (!this.onMessage && this.messages > 1) {
        return this.cancel(
          Status.INTERNAL,
          `grpc: the server sent ${this.messages} response messages to a call expecting one`,
        );
      }
    }
    if (endStream) this.fail(Status.INTERNAL, 'server closed the stream without sending trailers');
  }

  onError(err: H2Error): void {
    if (this.done) return;
    if (err.code === 'STREAM_RESET') {
      return this.fail(
        statusFromRstCode(err.h2Code),
        `stream terminated by RST_STREAM with error code: ${h2CodeName(err.h2Code)}`,
        { cause: err },
      );
    }
    if (err.scope === 'stream') return this.fail(Status.INTERNAL, err.message, { cause: err });
    this.fail(Status.UNAVAILABLE, `connection closed: ${err.message}`, { cause: err, connectionLost: true });
  }

  private status(fields: string[]): void {
    const raw = field(fields, 'grpc-status');
    const trailers = toMetadata(fields);
    if (raw === undefined || !/^[0-9]+$/.test(raw)) {
      return this.fail(Status.UNKNOWN, `malformed grpc-status: ${JSON.stringify(raw)}`, { trailers });
    }
    const code = Number(raw) as Status;
    if (code !== Status.OK) {
      const details = field(fields, 'grpc-status-details-bin');
      return this.fail(code, grpcMessage(field(fields, 'grpc-message')), {
        trailers,
        ...(details !== undefined ? { details: Buffer.from(details, 'base64') } : {}),
      });
    }
    if (this.reader.partial)
      return this.fail(Status.INTERNAL, 'grpc: the stream ended inside a message', { trailers });
    if (this.onMessage) return this.finish({ code: Status.OK, message: '', trailers }, undefined);
    if (this.message === undefined) {
      return this.fail(Status.UNIMPLEMENTED, 'grpc: the server sent no response message', { trailers });
    }
    this.finish({ code: Status.OK, message: '', trailers }, this.message);
  }
}

/** Request header fields after the method's: grpc-timeout, then metadata (validated; -bin values base64). */
export function requestFields(
  metadata: Metadata | undefined,
  timeout: string | undefined,
): [string, string][] {
  const out: [string, string][] = [];
  if (timeout !== undefined) out.push(['grpc-timeout', timeout]);
  if (!metadata) return out;
  const headers: OutgoingHttpHeaders = {};
  metadata.addTo(headers);
  for (const [k, v] of Object.entries(headers)) {
    // RFC 9113 section 8.2.2: a request carrying these is malformed.
    if (CONNECTION_SPECIFIC.has(k))
      throw new TypeError(`HTTP/1 connection-specific header "${k}" is forbidden in HTTP/2`);
    for (const value of Array.isArray(v) ? v : [v]) out.push([k, String(value)]);
  }
  return out;
}

/**
 * One unary call as a promise (rejects with an RpcError whose `cause` is the
 * H2Error, if one ended it). The deadline sends grpc-timeout and, when it
 * passes, RST_STREAM CANCEL; so does an abort.
 */
export function unaryCall(
  conn: H2Connection,
  method: UnaryMethod,
  message: Uint8Array,
  options: UnaryOptions = {},
): Promise<UnaryResult> {
  return new Promise<UnaryResult>((resolve, reject) => {
    const { signal, deadline } = options;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      const reason: unknown = signal?.reason;
      call.cancel(
        Status.CANCELLED,
        `call cancelled: ${reason instanceof Error ? reason.message : String(reason ?? 'aborted')}`,
      );
    };
    const call = new H2Call((status, response, headers) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (status.code === Status.OK && response) {
        resolve({ message: response, headers: headers ?? NO_METADATA, trailers: status.trailers });
        return;
      }
      reject(
        new RpcError(status.code, status.message, {
          cause: status.cause,
          metadata: status.trailers,
          ...(status.details ? { statusDetails: status.details } : {}),
        }),
      );
    }, options.maxReceiveMessageBytes);
    if (signal?.aborted) return onAbort();
    const maxSend = options.maxSendMessageBytes ?? DEFAULT_MAX_SEND_MESSAGE_BYTES;
    if (message.length > maxSend) {
      return call.cancel(
        Status.RESOURCE_EXHAUSTED,
        `trying to send message larger than max (${message.length} vs. ${maxSend})`,
      );
    }
    let left: number | undefined;
    if (deadline !== undefined) {
      left = deadline - Date.now();
      if (left <= 0) return call.cancel(Status.DEADLINE_EXCEEDED, 'context deadline exceeded');
    }
    let extra: [string, string][];
    try {
      extra = requestFields(options.metadata, left === undefined ? undefined : encodeTimeout(left));
    } catch (err) {
      return call.cancel(Status.INTERNAL, `invalid request metadata: ${(err as Error).message}`);
    }
    call.start(conn, method, encodeFrame(message), extra);
    if (call.finished) return;
    if (left !== undefined) {
      timer = setTimeout(() => call.cancel(Status.DEADLINE_EXCEEDED, 'context deadline exceeded'), left);
      timer.unref();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
