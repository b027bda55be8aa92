/**
 * HPACK decoding (RFC 7541) for one connection: the dynamic table the peer's
 * encoder fills, bounded by the SETTINGS_HEADER_TABLE_SIZE we advertised,
 * and a cap on the decoded header list (what SETTINGS_MAX_HEADER_LIST_SIZE
 * promises the peer we accept): a small block of indexed references to a
 * large table entry must not expand into megabytes.
 */
import { H2Code, H2Error } from './errors.js';
import type { H2ErrorCode } from './errors.js';
import { huffmanDecode } from './huffman.js';
import { STATIC_TABLE } from './static-table.js';

/** Per-entry overhead in table and list sizes (RFC 7541 section 4.1). */
export const ENTRY_OVERHEAD = 32;
const STATIC_COUNT = STATIC_TABLE.length;
const EMPTY = Buffer.alloc(0);
const NONE: string[] = [];

function fail(code: H2ErrorCode, message: string): H2Error {
  return new H2Error(code, message, H2Code.COMPRESSION_ERROR);
}

export class HpackDecoder {
  /** Current table limit: the advertised one until the peer lowers it with a size update. */
  private limit: number;
  private size = 0;
  /** Newest last. At most limit / 32 entries, so shifting is cheap. */
  private readonly entries: [string, string][] = [];

  /**
   * @param maxTableSize the SETTINGS_HEADER_TABLE_SIZE we advertised
   * @param maxHeaderListSize the SETTINGS_MAX_HEADER_LIST_SIZE we advertised
   */
  constructor(
    readonly maxTableSize = 4096,
    readonly maxHeaderListSize = 64 * 1024,
  ) {
    this.limit = maxTableSize;
  }

  /** Entries in the dynamic table (for tests and diagnostics). */
  get tableLength(): number {
    return this.entries.length;
  }

  /** The dynamic table's size in RFC 7541 terms. */
  get tableSize(): number {
    return this.size;
  }

  // The block being decoded and the cursor in it: fields rather than closures,
  // so decoding a block allocates only its output (one per response and trailers).
  private block: Buffer = Buffer.alloc(0);
  private p = 0;
  private end = 0;
  private listSize = 0;
  private out: string[] = [];

  /**
   * Decodes one complete header block (`block[start, end)`) to a flat
   * [name, value, name, value…] list (Latin-1 strings). Throws H2Error; the
   * connection must then fail, since the table may be out of step with the peer's.
   */
  decode(block: Buffer, start = 0, end = block.length): string[] {
    const out: string[] = [];
    this.block = block;
    this.p = start;
    this.end = end;
    this.listSize = 0;
    this.out = out;
    let fieldSeen = false;
    try {
      while (this.p < end) {
        const b = block[this.p]!;
        if (b & 0x80) {
          // Indexed field.
          const f = this.field(this.readInt(7));
          this.emit(f[0], f[1]);
          fieldSeen = true;
        } else if (b & 0x40) {
          // Literal with incremental indexing.
          const index = this.readInt(6);
          const name = index ? this.field(index)[0] : this.readString();
          const value = this.readString();
          this.add(name, value);
          this.emit(name, value);
          fieldSeen = true;
        } else if (b & 0x20) {
          // Size updates come first in a block (RFC 7541 section 4.2).
          if (fieldSeen) throw fail('HPACK_TABLE_SIZE', 'HPACK table size update after a header field');
          const size = this.readInt(5);
          if (size > this.maxTableSize) {
            throw fail(
              'HPACK_TABLE_SIZE',
              `HPACK table size update to ${size} bytes, above our SETTINGS_HEADER_TABLE_SIZE of ${this.maxTableSize}`,
            );
          }
          this.limit = size;
          this.evict();
        } else {
          // Literal without indexing (0000) or never indexed (0001): decoded alike.
          const index = this.readInt(4);
          const name = index ? this.field(index)[0] : this.readString();
          this.emit(name, this.readString());
          fieldSeen = true;
        }
      }
    } finally {
      this.block = EMPTY;
      this.out = NONE;
    }
    return out;
  }

  private readInt(prefixBits: number): number {
    const block = this.block;
    const max = (1 << prefixBits) - 1;
    let v = block[this.p++]! & max;
    if (v < max) return v;
    let shift = 1;
    for (;;) {
      if (this.p >= this.end) throw fail('HPACK_MALFORMED', 'truncated HPACK integer');
      const b = block[this.p++]!;
      v += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) return v;
      shift *= 128;
      // Nothing we accept needs more than 2^28 (a block is capped far below).
      if (shift > 2 ** 28) throw fail('HPACK_MALFORMED', 'HPACK integer longer than 5 bytes');
    }
  }

  private readString(): string {
    const block = this.block;
    if (this.p >= this.end) throw fail('HPACK_MALFORMED', 'truncated HPACK string');
    const huffman = (block[this.p]! & 0x80) !== 0;
    const len = this.readInt(7);
    const p = this.p;
    if (len > this.end - p) throw fail('HPACK_MALFORMED', `HPACK string of ${len} bytes past the block end`);
    this.p = p + len;
    return huffman ? huffmanDecode(block, p, p + len) : block.toString('latin1', p, p + len);
  }

  private field(index: number): readonly [string, string] {
    if (index === 0) throw fail('HPACK_INDEX', 'HPACK index 0');
    if (index <= STATIC_COUNT) return STATIC_TABLE[index - 1]!;
    const entry = this.entries[this.entries.length - (index - STATIC_COUNT)];
    if (!entry) {
      throw fail(
        'HPACK_INDEX',
        `HPACK index ${index} beyond the table (${STATIC_COUNT} static + ${this.entries.length} dynamic entries)`,
      );
    }
    return entry;
  }

  private emit(name: string, value: string): void {
    this.listSize += name.length + value.length + ENTRY_OVERHEAD;
    if (this.listSize > this.maxHeaderListSize) {
      throw new H2Error(
        'HEADER_LIST_TOO_LARGE',
        `decoded header list exceeds the limit of ${this.maxHeaderListSize} bytes (SETTINGS_MAX_HEADER_LIST_SIZE)`,
        H2Code.ENHANCE_YOUR_CALM,
      );
    }
    this.out.push(name, value);
  }

  private add(name: string, value: string): void {
    // An entry larger than the table empties it and is not added (RFC 7541 section 4.4).
    this.entries.push([name, value]);
    this.size += name.length + value.length + ENTRY_OVERHEAD;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.limit) {
      const [n, v] = this.entries.shift()!;
      this.size -= n.length + v.length + ENTRY_OVERHEAD;
    }
  }
}
