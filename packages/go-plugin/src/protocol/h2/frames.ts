/**
 * HTTP/2 frame layout (RFC 9113 section 4 and 6): types, flags, settings
 * identifiers, and the 9-byte frame header.
 */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER_BYTES = 9;

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The initial window of every stream and of the connection until SETTINGS/WINDOW_UPDATE say otherwise. */
export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 2 ** 31 - 1;
/** SETTINGS_MAX_FRAME_SIZE's initial value and lower bound. */
export const MIN_MAX_FRAME_SIZE = 16_384;
export const MAX_MAX_FRAME_SIZE = 2 ** 24 - 1;

export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  streamId: number;
}

export function writeFrameHeader(
  buf: Buffer,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  buf[offset] = length >>> 16;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = length & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  buf.writeUInt32BE(streamId, offset + 5);
}

/** Reads the header at `offset`; the caller checks that 9 bytes are there. The reserved bit is ignored. */
export function readFrameHeader(buf: Buffer, offset: number): FrameHeader {
  return {
    length: (buf[offset]! << 16) | (buf[offset + 1]! << 8) | buf[offset + 2]!,
    type: buf[offset + 3]!,
    flags: buf[offset + 4]!,
    streamId: buf.readUInt32BE(offset + 5) & 0x7fffffff,
  };
}

/** A whole frame in a new buffer. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(b, 0, payload.length, type, flags, streamId);
  b.set(payload, FRAME_HEADER_BYTES);
  return b;
}

/** A SETTINGS payload from [identifier, value] pairs. */
export function encodeSettings(settings: readonly (readonly [number, number])[]): Buffer {
  const b = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], i) => {
    b.writeUInt16BE(id, 6 * i);
    b.writeUInt32BE(value, 6 * i + 2);
  });
  return b;
}

export function uint32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value);
  return b;
}
