/**
 * gRPC status codes and how HTTP/2 outcomes map onto them, per the gRPC
 * over HTTP/2 specification: HTTP status codes of responses that carry no
 * grpc-status, and RST_STREAM error codes of streams that end without one.
 */
import { H2Code } from '../h2/errors.js';

/** The gRPC status codes (same numbers on every implementation). */
export enum Status {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

/** The code for a response whose HTTP status is not 200 and that has no grpc-status. */
export function statusFromHttp(httpStatus: number): Status {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

/** The code for a stream reset by the peer before a status arrived. */
export function statusFromRstCode(rstCode: number): Status {
  switch (rstCode) {
    case H2Code.REFUSED_STREAM:
      return Status.UNAVAILABLE;
    case H2Code.CANCEL:
      return Status.CANCELLED;
    case H2Code.ENHANCE_YOUR_CALM:
      return Status.RESOURCE_EXHAUSTED;
    case H2Code.INADEQUATE_SECURITY:
      return Status.PERMISSION_DENIED;
    default:
      return Status.INTERNAL;
  }
}

/** grpc-message is percent-encoded UTF-8: encode everything outside printable ASCII, and '%'. */
export function encodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? '%' + byte.toString(16).toUpperCase().padStart(2, '0')
        : String.fromCharCode(byte);
  }
  return out;
}

/** Decodes grpc-message; a malformed escape is kept as it is, as grpc-go does. */
export function decodeGrpcMessage(raw: string): string {
  if (!raw.includes('%')) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 && i + 2 < raw.length && /^[0-9A-Fa-f]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c & 0xff); // header values are Latin-1 strings in Node
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
