/**
 * gRPC metadata: HTTP/2 headers (and trailers) minus the ones the protocol
 * itself uses. Keys are lower-case; keys ending in `-bin` carry bytes, sent
 * base64-encoded.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';

export type MetadataValue = string | Buffer;

/**
 * Header fields accepted per request or response (HTTP/2 maxHeaderListPairs,
 * both roles). Node refuses more than 128 by default (RST_STREAM
 * ENHANCE_YOUR_CALM), while grpc-go limits a header list only by its size
 * (16 MiB) and its hosts and plugins send one field per metadata value.
 */
export const MAX_HEADER_PAIRS = 10_000;

/** Headers gRPC uses for itself; never exposed as metadata. */
const RESERVED = new Set([
  'content-type',
  'te',
  'user-agent',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'grpc-status',
  'grpc-message',
  'grpc-status-details-bin',
]);

const KEY = /^[0-9a-z_.-]+$/;

function checkKey(key: string): string {
  const k = key.toLowerCase();
  if (!KEY.test(k)) throw new TypeError(`metadata key "${key}" has characters outside 0-9 a-z _ . -`);
  return k;
}

function checkValue(key: string, value: MetadataValue): MetadataValue {
  if (key.endsWith('-bin')) {
    if (!Buffer.isBuffer(value))
      throw new TypeError(`metadata key "${key}" ends in -bin: its values must be Buffers`);
  } else if (typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value)) {
    throw new TypeError(`metadata key "${key}" takes printable ASCII strings`);
  }
  return value;
}

export class Metadata {
  private readonly entries = new Map<string, MetadataValue[]>();

  /** Replaces the values of `key`. */
  set(key: string, value: MetadataValue): void {
    const k = checkKey(key);
    this.entries.set(k, [checkValue(k, value)]);
  }

  /** Adds a value to `key`. */
  add(key: string, value: MetadataValue): void {
    const k = checkKey(key);
    const list = this.entries.get(k);
    if (list) list.push(checkValue(k, value));
    else this.entries.set(k, [checkValue(k, value)]);
  }

  get(key: string): MetadataValue[] {
    return this.entries.get(key.toLowerCase()) ?? [];
  }

  remove(key: string): void {
    this.entries.delete(key.toLowerCase());
  }

  /** The first value of each key. */
  getMap(): Record<string, MetadataValue> {
    const out: Record<string, MetadataValue> = {};
    for (const [k, v] of this.entries) out[k] = v[0]!;
    return out;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  get size(): number {
    return this.entries.size;
  }

  clone(): Metadata {
    const copy = new Metadata();
    for (const [k, v] of this.entries) copy.entries.set(k, [...v]);
    return copy;
  }

  /** Adds these entries to outgoing headers (binary values base64, as the spec says). */
  addTo(headers: OutgoingHttpHeaders): void {
    for (const [k, values] of this.entries) {
      if (RESERVED.has(k)) continue;
      const wire = values.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
      headers[k] = wire.length === 1 ? wire[0] : wire;
    }
  }

  /** The entries as header fields, one per value (binary values base64), gRPC's own keys left out. */
  fields(): [string, string][] {
    const out: [string, string][] = [];
    for (const [k, values] of this.entries) {
      if (RESERVED.has(k)) continue;
      for (const v of values) out.push([k, Buffer.isBuffer(v) ? v.toString('base64') : v]);
    }
    return out;
  }

  /**
   * Metadata of received headers or trailers from Node's raw list (name,
   * value, name, value…), which keeps repeated header fields apart: the
   * headers object joins them with ", ", so two values "a" and "b, c" would
   * read as one, "a, b, c". Falls back to `headers` without a raw list.
   */
  static fromRaw(raw: unknown, headers: IncomingHttpHeaders): Metadata {
    if (!Array.isArray(raw)) return Metadata.fromHeaders(headers);
    const md = new Metadata();
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = String(raw[i]).toLowerCase();
      if (key.charCodeAt(0) === 0x3a /* ':' */ || RESERVED.has(key)) continue;
      md.addReceived(key, String(raw[i + 1]));
    }
    return md;
  }

  private addReceived(key: string, value: string): void {
    let list = this.entries.get(key);
    if (!list) this.entries.set(key, (list = []));
    if (key.endsWith('-bin')) {
      // Several binary values may arrive comma-joined in one header.
      for (const part of value.split(',')) list.push(Buffer.from(part.trim(), 'base64'));
    } else {
      list.push(value);
    }
  }

  /** Metadata of received headers or trailers, without pseudo-headers and gRPC's own. */
  static fromHeaders(headers: IncomingHttpHeaders): Metadata {
    const md = new Metadata();
    for (const key of Object.keys(headers)) {
      if (key.charCodeAt(0) === 0x3a /* ':' */ || RESERVED.has(key)) continue;
      const raw = headers[key];
      if (raw === undefined) continue;
      for (const value of Array.isArray(raw) ? raw : [raw]) md.addReceived(key, value);
    }
    return md;
  }
}
