/**
 * gRPC status errors, named and printed the way Go does (`rpc error: code =
 * InvalidArgument desc = ...`), since that text is what Go hosts such as geth
 * pass on to their users.
 */
import { brandClass, hasBrand } from './errors.js';
import { Metadata } from './grpc/metadata.js';
import { Status } from './grpc/status.js';

export { Status };

const GO_CODE_NAMES: Record<number, string> = {
  0: 'OK',
  1: 'Canceled',
  2: 'Unknown',
  3: 'InvalidArgument',
  4: 'DeadlineExceeded',
  5: 'NotFound',
  6: 'AlreadyExists',
  7: 'PermissionDenied',
  8: 'ResourceExhausted',
  9: 'FailedPrecondition',
  10: 'Aborted',
  11: 'OutOfRange',
  12: 'Unimplemented',
  13: 'Internal',
  14: 'Unavailable',
  15: 'DataLoss',
  16: 'Unauthenticated',
};

/** grpc-go's codes.Code.String(). */
export function goCodeName(code: number): string {
  return GO_CODE_NAMES[code] ?? `Code(${code})`;
}

export interface RpcErrorOptions {
  cause?: unknown;
  /** A serialized google.rpc.Status (sent as grpc-status-details-bin). */
  statusDetails?: Uint8Array;
  /** Trailing metadata sent with (or received with) the status. */
  metadata?: Metadata;
}

/**
 * An error with a gRPC status. Throw it from a handler to answer with that
 * status; calls made through our clients reject with it.
 */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly code: Status;
  /** The status message alone (grpc "details"). */
  readonly details: string;
  /** The rich error model's bytes (google.rpc.Status), if any. */
  readonly statusDetails: Uint8Array | undefined;
  readonly metadata: Metadata;

  constructor(code: Status, details: string, options?: RpcErrorOptions) {
    super(`rpc error: code = ${goCodeName(code)} desc = ${details}`, options);
    this.code = code;
    this.details = details;
    this.statusDetails = options?.statusDetails;
    this.metadata = options?.metadata ?? new Metadata();
  }

  /** Go's status name of the code, e.g. `InvalidArgument`. */
  get codeName(): string {
    return goCodeName(this.code);
  }
}

const RPC_ERROR = Symbol.for('qplugin.RpcError');
brandClass(RpcError, RPC_ERROR);

/** Whether `value` is an RpcError (from any copy of this package), optionally with `code`. */
export function isRpcError(value: unknown, code?: Status): value is RpcError {
  return hasBrand(value, RPC_ERROR) && (code === undefined || (value as RpcError).code === code);
}

interface StatusLike {
  code?: unknown;
  details?: unknown;
  message?: unknown;
}

/** Any thrown value as an RpcError; non-status errors become Unknown, as in grpc-go. */
export function toRpcError(err: unknown): RpcError {
  if (isRpcError(err)) return err;
  const s = (typeof err === 'object' && err !== null ? err : {}) as StatusLike;
  if (typeof s.code === 'number' && s.code in GO_CODE_NAMES && typeof s.details === 'string') {
    return new RpcError(s.code as Status, s.details, { cause: err });
  }
  const message = typeof s.message === 'string' ? s.message : String(err);
  return new RpcError(Status.UNKNOWN, message, { cause: err });
}
