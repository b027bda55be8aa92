/**
 * How a typed client call's outcome reaches its caller: the response decoded,
 * or the status as an RpcError — in the guard's terms once the plugin is gone.
 * Shared by every call kind and both transports' unary paths.
 */
import { fromBinary } from '@bufbuild/protobuf';
import type { DescMessage, Message } from '@bufbuild/protobuf';

import { messageOf } from './errors.js';
import type { CallStatus } from './grpc/call.js';
import { RpcError, Status } from './rpc-error.js';

/**
 * Ties every call of a client to a lifetime (e.g. the plugin process): once
 * `signal` aborts, new calls reject with `error()`, and so do calls that
 * failed because the connection went with it.
 */
export interface ClientGuard {
  signal: AbortSignal;
  error(): Error;
}

/** What a call's instrumentation is told when it ends. */
export interface CallEnd {
  done(code: Status, message: string): void;
}

/** A lost connection is often noticed a moment before the process exit: wait this long for the exit. */
const SETTLE_MS = 250;

function abortedWithin(signal: AbortSignal, ms: number): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function callError(status: CallStatus): RpcError {
  return new RpcError(status.code, status.message, {
    statusDetails: status.details,
    metadata: status.trailers,
  });
}

/** The error to report for a failed call, in the guard's terms when the plugin is gone. */
export function failure(status: CallStatus, guard: ClientGuard | undefined): Promise<Error> | Error {
  if (guard?.signal.aborted) return guard.error();
  const err = callError(status);
  // Only for connection failures: an Unavailable the plugin sent itself is its answer, at once.
  if (guard && status.connectionLost)
    return abortedWithin(guard.signal, SETTLE_MS).then((gone) => (gone ? guard.error() : err));
  return err;
}

export function decodeResponse(schema: DescMessage, bytes: Uint8Array): Message {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new RpcError(Status.INTERNAL, `grpc: failed to unmarshal the received message: ${messageOf(err)}`);
  }
}

/** Settles a single-response call (unary, client-streaming): `message` is there when the status is OK. */
export function settleSingle(
  status: CallStatus,
  message: Buffer | undefined,
  output: DescMessage,
  guard: ClientGuard | undefined,
  end: CallEnd | undefined,
  resolve: (m: Message) => void,
  reject: (e: unknown) => void,
): void {
  end?.done(status.code, status.message);
  if (status.code !== Status.OK) {
    const err = failure(status, guard);
    if (err instanceof Promise) void err.then(reject);
    else reject(err);
    return;
  }
  try {
    resolve(decodeResponse(output, message!));
  } catch (err) {
    reject(err);
  }
}
