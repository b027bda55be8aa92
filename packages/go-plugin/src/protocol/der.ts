/**
 * Just enough DER (X.690) to write go-plugin's one certificate profile and to
 * read the few fields we need back. Not a general ASN.1 library.
 */

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, ...items);
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, ...items);
export const octetString = (data: Uint8Array): Buffer => tlv(0x04, data);
export const booleanTrue = (): Buffer => tlv(0x01, Buffer.from([0xff]));
export const printableString = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));
export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
/** [n] EXPLICIT, constructed. */
export const explicit = (n: number, ...content: Uint8Array[]): Buffer => tlv(0xa0 | n, ...content);
/** [n] IMPLICIT, primitive (e.g. dNSName is [2] IA5String). */
export const implicitPrimitive = (n: number, data: Uint8Array): Buffer => tlv(0x80 | n, data);

/** A non-negative INTEGER from big-endian magnitude bytes, minimal two's complement. */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let bytes = Buffer.from(magnitude.subarray(start));
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

export const smallInteger = (n: number): Buffer => unsignedInteger(Buffer.from([n]));

export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** BIT STRING; `unusedBits` counts the zero bits padding the last byte. */
export const bitString = (data: Uint8Array, unusedBits = 0): Buffer =>
  tlv(0x03, Buffer.from([unusedBits]), data);

/** UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5), whole seconds, UTC. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const year = date.getUTCFullYear();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(digits.slice(2) + 'Z', 'latin1'));
  return tlv(0x18, Buffer.from(digits + 'Z', 'latin1'));
}

export interface Element {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

/** Reads the element whose tag byte is at `offset`. */
export function readElement(buf: Uint8Array, offset: number): Element {
  const tag = buf[offset];
  let len = buf[offset + 1];
  if (tag === undefined || len === undefined) throw new Error('DER: truncated element');
  let start = offset + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 4) throw new Error('DER: unsupported length');
    len = 0;
    for (let i = 0; i < count; i++) {
      const b = buf[start + i];
      if (b === undefined) throw new Error('DER: truncated length');
      len = len * 256 + b;
    }
    start += count;
  }
  if (start + len > buf.length) throw new Error('DER: element overruns its buffer');
  return { tag, start, end: start + len };
}

/** The children of a constructed element. */
export function children(buf: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end;) {
    const el = readElement(buf, at);
    out.push(el);
    at = el.end;
  }
  return out;
}
