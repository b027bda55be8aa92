/**
 * Typed failures of the HTTP/2 client. Each has a stable `code` (tests and
 * logs match on it) and the HTTP/2 error code sent to the peer, if any. A
 * hostile or broken peer gets one of these, never an exception out of a
 * socket callback.
 */

export const H2ErrorCodes = {
  /** A frame longer than the SETTINGS_MAX_FRAME_SIZE we advertised. */
  FRAME_TOO_LARGE: 'A frame is larger than our SETTINGS_MAX_FRAME_SIZE.',
  /** A fixed-size frame (PING, SETTINGS, WINDOW_UPDATE…) with the wrong length. */
  FRAME_SIZE: 'A frame has a length its type does not allow.',
  /** HEADERS + CONTINUATION (compressed or decoded) above our SETTINGS_MAX_HEADER_LIST_SIZE. */
  HEADER_LIST_TOO_LARGE: 'A header block is larger than our SETTINGS_MAX_HEADER_LIST_SIZE.',
  /** An HPACK dynamic table size update above our SETTINGS_HEADER_TABLE_SIZE, or misplaced. */
  HPACK_TABLE_SIZE: 'An HPACK table size update is above our setting or misplaced.',
  /** An HPACK index that is 0 or beyond the static + dynamic table. */
  HPACK_INDEX: 'An HPACK index refers to no table entry.',
  /** A Huffman string with EOS, or padding that is not a short run of 1-bits. */
  HPACK_HUFFMAN: 'An HPACK Huffman string is invalid.',
  /** A truncated or overlong HPACK integer or string. */
  HPACK_MALFORMED: 'An HPACK header block is malformed.',
  /** The peer reset the stream (RST_STREAM); `h2Code` is its code. */
  STREAM_RESET: 'The server reset the stream.',
  /** Padding longer than the frame. */
  PADDING: 'A padded frame has more padding than payload.',
  /** DATA or HEADERS on a stream that the peer had already ended. */
  STREAM_CLOSED: 'A frame arrived on a closed stream.',
  /** A frame on a stream we never opened (idle, or even-numbered). */
  IDLE_STREAM: 'A frame arrived on a stream we did not open.',
  /** A WINDOW_UPDATE or SETTINGS_INITIAL_WINDOW_SIZE that takes a window above 2^31-1. */
  WINDOW_OVERFLOW: 'A flow-control window would exceed 2^31-1.',
  /** The peer sent more DATA than our receive window allows. */
  WINDOW_OVERRUN: 'The peer sent more DATA than our window allows.',
  /** Any other violation of RFC 9113 (preface, settings values, PUSH_PROMISE, interrupted header block…). */
  PROTOCOL: 'The peer violated the HTTP/2 protocol.',
  /** The peer sent GOAWAY. */
  GOAWAY: 'The server is going away.',
  /** The transport ended or failed. */
  CONNECTION_LOST: 'The connection was lost.',
  /** close() was called. */
  CLOSED: 'The connection was closed by the client.',
} as const;

export type H2ErrorCode = keyof typeof H2ErrorCodes;

/** HTTP/2 error codes (RFC 9113 section 7). */
export const H2Code = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const H2_CODE_NAMES = new Map<number, string>(Object.entries(H2Code).map(([k, v]) => [v, k]));

/** `PROTOCOL_ERROR`, or the number for a code RFC 9113 does not name. */
export function h2CodeName(code: number): string {
  return H2_CODE_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

export class H2Error extends Error {
  override readonly name = 'H2Error';

  /**
   * @param code stable identifier of the failure
   * @param message what happened, with the values involved
   * @param h2Code the HTTP/2 error code we sent (GOAWAY/RST_STREAM) or received
   * @param scope whether it ended one stream or the whole connection
   */
  constructor(
    readonly code: H2ErrorCode,
    message: string,
    readonly h2Code: number = H2Code.PROTOCOL_ERROR,
    readonly scope: 'stream' | 'connection' = 'connection',
  ) {
    super(`${message} [${code}, HTTP/2 ${h2CodeName(h2Code)}]`);
  }
}
