/** Encoding and describing the 12-byte yamux frame header. */
import { Flag, FrameType, HEADER_SIZE, PROTOCOL_VERSION } from './constants.js';
import { protocolError } from './failures.js';

export interface FrameHeader {
  version: number;
  type: number;
  flags: number;
  streamId: number;
  /** Payload size (Data), window delta (WindowUpdate), ping id (Ping) or go-away code (GoAway). */
  length: number;
}

/**
 * Rejects (YAMUX_PROTOCOL) what no frame may be: an unknown version or type,
 * or a Data frame larger than the largest window we ever grant, checked
 * before its payload is buffered.
 */
export function validateHeader(header: FrameHeader, maxDataLength: number): void {
  if (header.version !== PROTOCOL_VERSION) {
    throw protocolError(
      `yamux ${describeFrame(header)} has protocol version ${header.version}; only ${PROTOCOL_VERSION} exists`,
      { ...header },
    );
  }
  if (header.type > FrameType.GoAway) {
    throw protocolError(`yamux frame has unknown type ${header.type}: ${describeFrame(header)}`, {
      ...header,
    });
  }
  if (header.type === FrameType.Data && header.length > maxDataLength) {
    throw protocolError(
      `yamux ${describeFrame(header)} is larger than any stream window (${maxDataLength} bytes)`,
      {
        ...header,
        maxDataLength,
      },
    );
  }
}

export function encodeHeader(type: FrameType, flags: number, streamId: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header.writeUInt8(PROTOCOL_VERSION, 0);
  header.writeUInt8(type, 1);
  header.writeUInt16BE(flags, 2);
  header.writeUInt32BE(streamId, 4);
  header.writeUInt32BE(length, 8);
  return header;
}

/** Reads a header from the first {@link HEADER_SIZE} bytes of `bytes`. */
export function decodeHeader(bytes: Buffer): FrameHeader {
  return {
    version: bytes.readUInt8(0),
    type: bytes.readUInt8(1),
    flags: bytes.readUInt16BE(2),
    streamId: bytes.readUInt32BE(4),
    length: bytes.readUInt32BE(8),
  };
}

const TYPE_NAMES = ['Data', 'WindowUpdate', 'Ping', 'GoAway'];

export function frameTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

export function flagNames(flags: number): string {
  const names = Object.entries(Flag)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name);
  const unknown = flags & ~0xf;
  if (unknown !== 0) names.push(`0x${unknown.toString(16)}`);
  return names.length > 0 ? names.join('|') : 'none';
}

/** "Data frame (stream 3, flags SYN, length 10)": what error messages quote. */
export function describeFrame(header: FrameHeader): string {
  return (
    `${frameTypeName(header.type)} frame (stream ${header.streamId}, flags ${flagNames(header.flags)}, ` +
    `length ${header.length})`
  );
}
