// HPACK (RFC 7541) for the raw HTTP/2 spike. The encoder only emits static
// indexed fields and literals without indexing (so it keeps no state and a
// method's header block can be built once); the decoder is complete, since
// Go's encoder uses the dynamic table, size updates and Huffman strings.
import { CODES, CODE_BITS } from './huffman-table.mjs';

// Appendix A; index 1..61.
export const STATIC_TABLE = [
  null,
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_COUNT = STATIC_TABLE.length - 1;

export class HpackError extends Error {}

// Huffman decoding tree as flat arrays: node n has children at
// CHILD[2n] (bit 0) and CHILD[2n+1] (bit 1); a leaf holds ~symbol.
const CHILD = new Int32Array(2 * 520).fill(0);
{
  let nodes = 1;
  for (let sym = 0; sym <= 256; sym++) {
    const code = CODES[sym];
    const bits = CODE_BITS[sym];
    let n = 0;
    for (let i = bits - 1; i >= 0; i--) {
      const slot = 2 * n + ((code >>> i) & 1);
      if (i === 0) CHILD[slot] = ~sym;
      else {
        if (CHILD[slot] === 0) CHILD[slot] = nodes++;
        n = CHILD[slot];
      }
    }
  }
}

/** Decodes a Huffman string; the padding must be a prefix of EOS (all ones) shorter than 8 bits. */
export function huffmanDecode(buf, start, end) {
  const out = Buffer.allocUnsafe(((end - start) * 8) / 5 + 1);
  let len = 0;
  let n = 0; // tree node
  let depth = 0; // bits since the last symbol
  let ones = true; // those bits were all ones
  for (let p = start; p < end; p++) {
    const byte = buf[p];
    for (let i = 7; i >= 0; i--) {
      const bit = (byte >>> i) & 1;
      const next = CHILD[2 * n + bit];
      if (next < 0) {
        const sym = ~next;
        if (sym === 256) throw new HpackError('Huffman string contains EOS');
        out[len++] = sym;
        n = 0;
        depth = 0;
        ones = true;
      } else if (next === 0) {
        throw new HpackError('invalid Huffman code');
      } else {
        n = next;
        depth++;
        if (bit === 0) ones = false;
      }
    }
  }
  if (depth > 7 || !ones) throw new HpackError('invalid Huffman padding');
  return out.latin1Slice(0, len);
}

export function encodeInteger(out, value, prefixBits, firstByteFlags) {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(firstByteFlags | value);
    return;
  }
  out.push(firstByteFlags | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function encodeString(out, s) {
  const bytes = Buffer.from(s, 'latin1');
  encodeInteger(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

/**
 * A header block of [name, value] pairs: static indexed where the static
 * table has the pair, else a literal without indexing (indexed name when the
 * static table has the name).
 */
export function encodeHeaderBlock(fields) {
  const out = [];
  for (const [name, value] of fields) {
    let full = 0;
    let nameIndex = 0;
    for (let i = 1; i <= STATIC_COUNT; i++) {
      if (STATIC_TABLE[i][0] !== name) continue;
      if (STATIC_TABLE[i][1] === value) {
        full = i;
        break;
      }
      if (nameIndex === 0) nameIndex = i;
    }
    if (full) {
      encodeInteger(out, full, 7, 0x80);
      continue;
    }
    encodeInteger(out, nameIndex, 4, 0x00);
    if (nameIndex === 0) encodeString(out, name);
    encodeString(out, value);
  }
  return Buffer.from(out);
}

/** One connection's decoder: owns the dynamic table the peer's encoder fills. */
export class HpackDecoder {
  constructor(maxTableSize = 4096) {
    this.settingsMax = maxTableSize; // what we advertised (SETTINGS_HEADER_TABLE_SIZE)
    this.maxSize = maxTableSize; // current limit, lowered by size updates
    this.size = 0;
    this.entries = []; // newest last
  }

  #evict() {
    while (this.size > this.maxSize) {
      const [n, v] = this.entries.shift();
      this.size -= n.length + v.length + 32;
    }
  }

  #add(name, value) {
    this.entries.push([name, value]);
    this.size += name.length + value.length + 32;
    this.#evict();
  }

  #field(index) {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_COUNT) return STATIC_TABLE[index];
    const d = index - STATIC_COUNT;
    if (d > this.entries.length) throw new HpackError(`index ${index} beyond the dynamic table`);
    return this.entries[this.entries.length - d];
  }

  /**
   * Decodes a complete header block; calls onField(name, value) per field.
   * Strings are latin1 (bytes kept as they are). Throws HpackError (a
   * COMPRESSION_ERROR for the connection).
   */
  decode(buf, onField) {
    let p = 0;
    const end = buf.length;
    let fieldsSeen = false;
    const readInt = (prefixBits) => {
      const max = (1 << prefixBits) - 1;
      let v = buf[p++] & max;
      if (v < max) return v;
      let m = 1;
      for (;;) {
        if (p >= end) throw new HpackError('truncated integer');
        const b = buf[p++];
        v += (b & 127) * m;
        m *= 128;
        if ((b & 128) === 0) return v;
        if (m > 2 ** 28) throw new HpackError('integer too large');
      }
    };
    const readString = () => {
      if (p >= end) throw new HpackError('truncated string');
      const huff = (buf[p] & 0x80) !== 0;
      const len = readInt(7);
      if (p + len > end) throw new HpackError('truncated string');
      const s = huff ? huffmanDecode(buf, p, p + len) : buf.latin1Slice(p, p + len);
      p += len;
      return s;
    };
    while (p < end) {
      const b = buf[p];
      if (b & 0x80) {
        const [n, v] = this.#field(readInt(7));
        onField(n, v);
        fieldsSeen = true;
      } else if (b & 0x40) {
        const idx = readInt(6);
        const name = idx ? this.#field(idx)[0] : readString();
        const value = readString();
        this.#add(name, value);
        onField(name, value);
        fieldsSeen = true;
      } else if (b & 0x20) {
        // Size updates are only allowed at the start of a block.
        if (fieldsSeen) throw new HpackError('table size update after a field');
        const size = readInt(5);
        if (size > this.settingsMax) throw new HpackError(`table size ${size} above ${this.settingsMax}`);
        this.maxSize = size;
        this.#evict();
      } else {
        // 0000xxxx without indexing, 0001xxxx never indexed: same decoding.
        const idx = readInt(4);
        const name = idx ? this.#field(idx)[0] : readString();
        const value = readString();
        onField(name, value);
        fieldsSeen = true;
      }
    }
  }
}
