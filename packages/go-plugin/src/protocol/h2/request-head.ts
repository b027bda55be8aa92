/**
 * What a gRPC request's headers are on protocol/h2: a method's constant
 * fields, HPACK-encoded once, then grpc-timeout and metadata per call.
 */
import type { OutgoingHttpHeaders } from 'node:http2';

import type { Metadata } from '../grpc/metadata.js';
import { encodeHeaderBlock, headerListSize } from './hpack-encoder.js';

/** grpc-timeout as a literal without indexing, its value's length and value to follow. */
const TIMEOUT_NAME = ((b: Buffer) => b.subarray(0, b.length - 1))(encodeHeaderBlock([['grpc-timeout', '']]));
export const TIMEOUT_LIST_SIZE = headerListSize([['grpc-timeout', '']]);

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

  /**
   * The method's block and grpc-timeout in one buffer: what encodeHeaderBlock
   * gives for the pair, without its intermediate arrays (one per call).
   */
  withTimeout(timeout: string): Buffer {
    const head = this.block.length;
    const at = head + TIMEOUT_NAME.length;
    const b = Buffer.allocUnsafe(at + 1 + timeout.length);
    this.block.copy(b, 0);
    TIMEOUT_NAME.copy(b, head);
    b[at] = timeout.length; // at most 8 digits and a unit: below the 7-bit prefix's 127
    b.write(timeout, at + 1, 'latin1');
    return b;
  }
}
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

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
