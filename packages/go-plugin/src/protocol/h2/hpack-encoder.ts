/**
 * HPACK encoding (RFC 7541) without a dynamic table: static indexed fields
 * and literals without indexing. Stateless, so a method's constant request
 * block is built once and copied per call, and the peer's
 * SETTINGS_HEADER_TABLE_SIZE never matters to us.
 */
import { huffmanEncode, huffmanLength } from './huffman.js';
import { STATIC_TABLE } from './static-table.js';

/** Appends an HPACK integer with an N-bit prefix (RFC 7541 section 5.1). */
export function encodeInteger(out: number[], value: number, prefixBits: number, firstByte: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(firstByte | value);
    return;
  }
  out.push(firstByte | max);
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

function encodeString(out: number[], s: string, huffman: boolean): void {
  const bytes = Buffer.from(s, 'latin1');
  if (huffman && huffmanLength(bytes) < bytes.length) {
    const h = huffmanEncode(bytes);
    encodeInteger(out, h.length, 7, 0x80);
    for (const b of h) out.push(b);
    return;
  }
  encodeInteger(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

export interface EncodeOptions {
  /** Huffman-code strings when shorter (worth it for blocks built once). Default false. */
  huffman?: boolean;
}

/**
 * A header block of [name, value] pairs (Latin-1 strings; names lowercase).
 * A pair in the static table is one indexed byte; else a literal without
 * indexing, with an indexed name when the static table has the name.
 */
export function encodeHeaderBlock(
  fields: Iterable<readonly [string, string]>,
  options: EncodeOptions = {},
): Buffer {
  const huffman = options.huffman ?? false;
  const out: number[] = [];
  for (const [name, value] of fields) {
    let full = 0;
    let nameIndex = 0;
    for (let i = 0; i < STATIC_TABLE.length; i++) {
      const [n, v] = STATIC_TABLE[i]!;
      if (n !== name) continue;
      if (v === value) {
        full = i + 1;
        break;
      }
      if (nameIndex === 0) nameIndex = i + 1;
    }
    if (full) {
      encodeInteger(out, full, 7, 0x80);
      continue;
    }
    encodeInteger(out, nameIndex, 4, 0x00);
    if (nameIndex === 0) encodeString(out, name, huffman);
    encodeString(out, value, huffman);
  }
  return Buffer.from(out);
}

/** Header list size of [name, value] pairs as SETTINGS_MAX_HEADER_LIST_SIZE counts it. */
export function headerListSize(fields: Iterable<readonly [string, string]>): number {
  let size = 0;
  for (const [n, v] of fields) size += Buffer.byteLength(n, 'latin1') + Buffer.byteLength(v, 'latin1') + 32;
  return size;
}
