/**
 * One gRPC call on an h2 stream (H2Call): unary and client-streaming calls
 * get their one response message with the status, streaming ones each
 * message as it arrives; the status comes from trailers or a trailers-only
 * response, or is ours when the stream or connection failed, with the gRPC
 * code grpc-go would give (an HTTP/2 cause attached as `cause`).
 */
import type { CallStatus } from '../grpc/call.js';
import { checkFrameHeader, FRAME_HEADER_BYTES, FrameReader, wholeFrameLength } from '../grpc/framing.js';
import type { FrameError } from '../grpc/framing.js';
import { Metadata } from '../grpc/metadata.js';
import { decodeGrpcMessage, Status, statusFromHttp, statusFromRstCode } from '../grpc/status.js';
import type { H2Connection, StreamHandler } from './connection.js';
import { H2Code, H2Error, h2CodeName } from './errors.js';
import { encodeHeaderBlock, headerListSize } from './hpack-encoder.js';
import { requestFields, TIMEOUT_LIST_SIZE } from './request-head.js';
import type { UnaryMethod } from './request-head.js';
import type { H2Stream } from './stream.js';

export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Header fields (Latin-1 from HPACK) as metadata, without pseudo-headers and gRPC's own. */
export function toMetadata(fields: string[]): Metadata {
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
/** Who hears how an {@link H2Call} goes (an object, so a call needs no closures). */
export interface H2CallListener {
  /** Once, last. A single-response call's message comes with its OK status. */
  onCallEnd(status: CallStatus, message: Buffer | undefined): void;
  /** Streaming calls: each response message as it arrives. */
  onCallMessage?(message: Buffer): void;
}
export const NO_METADATA = new Metadata();
const NO_FIELDS: string[] = [];
/** Hoisted: a regular expression literal is a new object each time it is evaluated. */
const DIGITS =
  /^[0-9]+$/; /** A status the server sent; its trailers become Metadata only if someone reads them. */
class ReceivedStatus implements CallStatus {
  private metadata: Metadata | undefined;
  declare details?: Buffer;

  constructor(
    readonly code: Status,
    readonly message: string,
    private readonly fields: string[],
  ) {}

  get trailers(): Metadata {
    return (this.metadata ??= toMetadata(this.fields));
  }
}
/**
 * One gRPC call on an h2 stream. A single-response call (unary,
 * client-streaming) hands its message to the listener with the status; a
 * streaming one (`streaming` true) hands each message over as it arrives.
 * The request is written whole at {@link start} or, with `end` false there,
 * through {@link write} and {@link end}. Deadlines and aborts are the
 * owner's: it calls {@link cancel}; the timeout given to start only sets
 * grpc-timeout.
 */
export class H2Call implements StreamHandler {
  private stream: H2Stream | undefined;
  /** Made only when a message spans DATA frames or one frame holds several. */
  private reader: FrameReader | undefined;
  private message: Buffer | undefined;
  private messages = 0;
  /** The response headers' fields, once they came (empty for a trailers-only response). */
  headerFields: string[] | undefined;
  private done = false;
  private paused = false;
  private writable: (() => void) | undefined;

  constructor(
    private readonly listener: H2CallListener,
    private readonly maxReceiveMessageBytes: number = DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    private readonly streaming = false,
  ) {}

  get finished(): boolean {
    return this.done;
  }

  /** Called when a write() that returned false has gone out (handed to the stream: no closure per call). */
  get onWritable(): (() => void) | undefined {
    return this.writable;
  }

  set onWritable(f: (() => void) | undefined) {
    this.writable = f;
    if (this.stream) this.stream.onWritable = f;
  }

  /** The stream is open (writes go to it). */
  get started(): boolean {
    return this.stream !== undefined;
  }

  /**
   * Sends the request on `conn`. `body` is the framed request message(s);
   * `timeout` (grpc-timeout's value) and `metadata` follow the method's
   * headers; `end` false leaves the request open for {@link write}.
   */
  start(
    conn: H2Connection,
    method: UnaryMethod,
    body: Buffer,
    timeout?: string,
    metadata?: Metadata,
    end = true,
  ): void {
    if (this.done) return;
    let block = method.block;
    let listSize = method.listSize;
    if (metadata !== undefined) {
      let extra: [string, string][];
      try {
        extra = requestFields(metadata, timeout);
      } catch (err) {
        return this.fail(Status.INTERNAL, `invalid request metadata: ${(err as Error).message}`);
      }
      block = Buffer.concat([block, encodeHeaderBlock(extra)]);
      listSize += headerListSize(extra);
    } else if (timeout !== undefined) {
      block = method.withTimeout(timeout);
      listSize += TIMEOUT_LIST_SIZE + timeout.length;
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
    if (this.writable) s.onWritable = this.writable;
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

  /** Ends a call that never started because there was no connection to start it on. */
  noConnection(err: Error): void {
    this.fail(Status.UNAVAILABLE, `connection error: ${err.message}`, { connectionLost: true });
  }

  private fail(code: Status, message: string, extra: Partial<CallStatus> = {}): void {
    this.finish({ code, message, trailers: NO_METADATA, ...extra }, undefined);
  }

  private finish(status: CallStatus, message: Buffer | undefined): void {
    if (this.done) return;
    this.done = true;
    this.listener.onCallEnd(status, message);
  }

  onHeaders(fields: string[], endStream: boolean): void {
    if (this.done) return;
    if (this.headerFields === undefined) {
      const httpStatus = Number(field(fields, ':status'));
      if (endStream && field(fields, 'grpc-status') !== undefined) {
        this.headerFields = NO_FIELDS;
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
      this.headerFields = fields;
      if (endStream) this.fail(Status.INTERNAL, 'server closed the stream without sending trailers');
      return;
    }
    if (!endStream) return this.cancel(Status.INTERNAL, 'grpc: trailers without END_STREAM');
    this.status(fields);
  }

  onData(buf: Buffer, start: number, end: number, endStream: boolean): void {
    if (this.done) return;
    if (this.headerFields === undefined)
      return this.cancel(Status.INTERNAL, 'grpc: DATA before response headers');
    if (end > start) {
      let err: FrameError | undefined;
      const whole = this.reader === undefined && wholeFrameLength(buf, start, end);
      if (whole !== false) {
        // The usual case: exactly one message in this DATA frame.
        err = checkFrameHeader(buf[start]!, whole, this.maxReceiveMessageBytes);
        if (!err) this.received(buf.subarray(start + FRAME_HEADER_BYTES, end));
      } else {
        this.reader ??= new FrameReader(this.maxReceiveMessageBytes, (m) => this.received(m));
        err = this.reader.push(buf.subarray(start, end));
      }
      if (err) return this.cancel(err.code, err.message);
      if (!this.streaming && this.messages > 1) {
        return this.cancel(
          Status.INTERNAL,
          `grpc: the server sent ${this.messages} response messages to a call expecting one`,
        );
      }
    }
    if (endStream) this.fail(Status.INTERNAL, 'server closed the stream without sending trailers');
  }

  private received(m: Buffer): void {
    this.messages++;
    if (!this.streaming) this.message = m;
    else if (!this.done) this.listener.onCallMessage?.(m);
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
    if (raw === undefined || !DIGITS.test(raw)) {
      return this.fail(Status.UNKNOWN, `malformed grpc-status: ${JSON.stringify(raw)}`, {
        trailers: toMetadata(fields),
      });
    }
    const code = Number(raw) as Status;
    if (code !== Status.OK) {
      const status = new ReceivedStatus(code, grpcMessage(field(fields, 'grpc-message')), fields);
      const details = field(fields, 'grpc-status-details-bin');
      if (details !== undefined) status.details = Buffer.from(details, 'base64');
      return this.finish(status, undefined);
    }
    if (this.reader?.partial) {
      return this.fail(Status.INTERNAL, 'grpc: the stream ended inside a message', {
        trailers: toMetadata(fields),
      });
    }
    if (this.streaming) return this.finish(new ReceivedStatus(Status.OK, '', fields), undefined);
    if (this.message === undefined) {
      return this.fail(Status.UNIMPLEMENTED, 'grpc: the server sent no response message', {
        trailers: toMetadata(fields),
      });
    }
    this.finish(new ReceivedStatus(Status.OK, '', fields), this.message);
  }
}
