/**
 * One unary call on an {@link H2Connection} as a promise ({@link unaryCall}):
 * the deadline sends grpc-timeout and, when it passes, RST_STREAM CANCEL (as
 * does an AbortSignal), so the server sees both. Failures are RpcErrors with
 * the gRPC code grpc-go would give; an HTTP/2 cause is attached as `cause`.
 * (Typed clients take protocol/rpc-unary-h2.ts instead.)
 */
import { encodeFrame } from '../grpc/framing.js';
import type { Metadata } from '../grpc/metadata.js';
import { Status } from '../grpc/status.js';
import { encodeTimeout } from '../grpc/timeout.js';
import { RpcError } from '../rpc-error.js';
import { H2Call, NO_METADATA, toMetadata } from './call.js';
import type { H2Connection } from './connection.js';
import type { UnaryMethod } from './request-head.js';

export const DEFAULT_MAX_SEND_MESSAGE_BYTES = 2 ** 31 - 1;

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
    const call = new H2Call(
      {
        onCallEnd(status, response) {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (status.code === Status.OK && response) {
            const fields = call.headerFields;
            const headers = fields?.length ? toMetadata(fields) : NO_METADATA;
            resolve({ message: response, headers, trailers: status.trailers });
            return;
          }
          reject(
            new RpcError(status.code, status.message, {
              cause: status.cause,
              metadata: status.trailers,
              ...(status.details ? { statusDetails: status.details } : {}),
            }),
          );
        },
      },
      options.maxReceiveMessageBytes,
    );
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
    call.start(
      conn,
      method,
      encodeFrame(message),
      left === undefined ? undefined : encodeTimeout(left),
      options.metadata,
    );
    if (call.finished) return;
    if (left !== undefined) {
      timer = setTimeout(() => call.cancel(Status.DEADLINE_EXCEEDED, 'context deadline exceeded'), left);
      timer.unref();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
