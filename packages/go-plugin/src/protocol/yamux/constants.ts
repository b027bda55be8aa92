/**
 * Wire constants of the yamux protocol (hashicorp/yamux spec.md, as spoken by
 * github.com/hashicorp/yamux v0.1.2).
 */

/** The only version the spec defines; anything else is a protocol error. */
export const PROTOCOL_VERSION = 0;

/** version(1) type(1) flags(2) stream id(4) length(4), all big-endian. */
export const HEADER_SIZE = 12;

export const FrameType = {
  /** Stream payload; `length` bytes follow the header. */
  Data: 0,
  /** Adds `length` to the receiver's send window of the stream. */
  WindowUpdate: 1,
  /** Session-level ping; `length` carries an opaque id that is echoed back. */
  Ping: 2,
  /** Session termination; `length` carries a {@link GoAwayCode}. */
  GoAway: 3,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const Flag = {
  /** Opens a stream (Data/WindowUpdate) or marks a ping request. */
  SYN: 0x1,
  /** Accepts a stream (Data/WindowUpdate) or marks a ping reply. */
  ACK: 0x2,
  /** Half-closes the sender's side of a stream. */
  FIN: 0x4,
  /** Resets a stream at once. */
  RST: 0x8,
} as const;

export const GoAwayCode = {
  Normal: 0,
  ProtocolError: 1,
  InternalError: 2,
} as const;

/** Both directions of every stream start with this much credit. */
export const INITIAL_STREAM_WINDOW = 256 * 1024;

export const MAX_UINT32 = 0xffff_ffff;
