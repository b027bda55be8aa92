/**
 * HPACK Huffman strings (RFC 7541 section 5.2). Decoding walks a binary tree
 * built once from the code table; a string must not contain EOS, and its
 * padding must be fewer than 8 bits, all ones (a prefix of EOS).
 */
import { H2Code, H2Error } from './errors.js';
import { HUFFMAN_CODE_BITS, HUFFMAN_CODES } from './huffman-table.js';

const EOS = 256;

// Node n's children are CHILD[2n] (bit 0) and CHILD[2n+1] (bit 1); a leaf
// holds ~symbol (negative); 0 means no such code.
const CHILD = new Int32Array(2 * 512);
{
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    let n = 0;
    for (let i = HUFFMAN_CODE_BITS[sym]! - 1; i >= 0; i--) {
      const slot = 2 * n + ((code >>> i) & 1);
      if (i === 0) CHILD[slot] = ~sym;
      else {
        if (CHILD[slot] === 0) CHILD[slot] = nodes++;
        n = CHILD[slot]!;
      }
    }
  }
}

function huffmanError(message: string): H2Error {
  return new H2Error('HPACK_HUFFMAN', message, H2Code.COMPRESSION_ERROR);
}

/** Decodes buf[start, end) to a Latin-1 string (header bytes kept as they are). Throws H2Error HPACK_HUFFMAN. */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  // The shortest code is 5 bits: at most 8/5 symbols per byte.
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
  let len = 0;
  let node = 0;
  let depth = 0; // bits read since the last symbol
  let ones = true; // and all of them were 1
  for (let p = start; p < end; p++) {
    const byte = buf[p]!;
    for (let i = 7; i >= 0; i--) {
      const bit = (byte >>> i) & 1;
      const next = CHILD[2 * node + bit]!;
      if (next < 0) {
        const sym = ~next;
        if (sym === EOS) throw huffmanError('Huffman string contains EOS');
        out[len++] = sym;
        node = 0;
        depth = 0;
        ones = true;
      } else {
        // The code is complete (every bit string reaches a symbol or EOS), so
        // there is no "unknown code": next is always a node or a leaf.
        node = next;
        depth++;
        if (bit === 0) ones = false;
      }
    }
  }
  if (depth > 7) throw huffmanError(`Huffman padding of ${depth} bits (at most 7 allowed)`);
  if (!ones) throw huffmanError('Huffman padding is not a prefix of EOS (all 1-bits)');
  return out.toString('latin1', 0, len);
}

/** Bytes the Huffman encoding of `bytes` takes. */
export function huffmanLength(bytes: Uint8Array): number {
  let bits = 0;
  for (const b of bytes) bits += HUFFMAN_CODE_BITS[b]!;
  return Math.ceil(bits / 8);
}

/** Huffman-encodes `bytes`, padded with 1-bits. */
export function huffmanEncode(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(huffmanLength(bytes));
  let acc = 0; // pending bits, right-aligned (never more than 7 + 30 < 53: exact in a double)
  let n = 0;
  let o = 0;
  for (const b of bytes) {
    const bits = HUFFMAN_CODE_BITS[b]!;
    acc = acc * 2 ** bits + HUFFMAN_CODES[b]!;
    n += bits;
    while (n >= 8) {
      n -= 8;
      const byte = Math.floor(acc / 2 ** n);
      out[o++] = byte;
      acc -= byte * 2 ** n;
    }
  }
  if (n > 0) out[o++] = (acc << (8 - n)) | (0xff >>> n);
  return out;
}
