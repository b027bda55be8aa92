/**
 * The part of Go's `net/url.Parse` that geth relies on for settings values.
 * Exactness matters because geth decides on a parse *failure*: a config
 * string that Go cannot parse (e.g. inline JSON, a host with a space) is
 * passed to the plugin as-is, even when it starts with `file://` or `env://`.
 */
import { posix } from 'node:path';

import { goQuote } from './go-quote.js';
import { shortText } from './value-tree.js';

export interface GoUrl {
  /** Lower-cased, as Go stores it. */
  scheme: string;
  /** Set for `scheme:rest` without a leading slash (Go's opaque form). */
  opaque: string;
  /** Unescaped host, including any `:port`. */
  host: string;
  /** Unescaped path. */
  path: string;
  rawQuery: string;
  fragment: string;
}

/** A parse failure; `message` is Go's `*url.Error` text: `parse "<url>": <reason>` (a long URL shortened). */
export class GoUrlError extends Error {
  override readonly name = 'GoUrlError';
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`parse ${goQuote(shortText(url))}: ${reason}`);
  }
}

type Mode = 'host' | 'path' | 'fragment' | 'query';

const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** ASCII characters Go accepts unescaped in a host (RFC 3986 reg-name, IP literals, port). */
const HOST_OK = new Set('!$&\'()*+,;=:[]<>"-_.~');
/** Characters Go accepts in userinfo before it unescapes it. */
const USERINFO_OK = new Set("-._:~!$&'()*+,;=%@");

/** Parses like Go's `url.Parse`; throws {@link GoUrlError} where Go returns an error. */
export function parseGoUrl(raw: string): GoUrl {
  const hash = raw.indexOf('#');
  const main = hash < 0 ? raw : raw.slice(0, hash);
  let url: GoUrl;
  try {
    url = parseMain(main);
  } catch (err) {
    throw err instanceof ReasonError ? new GoUrlError(main, err.message) : err;
  }
  if (hash >= 0) {
    try {
      url.fragment = unescape(raw.slice(hash + 1), 'fragment');
    } catch (err) {
      throw err instanceof ReasonError ? new GoUrlError(raw, err.message) : err;
    }
  }
  return url;
}

/** Go's `url.Values.Get` on a raw query: first value of `key`, '' when absent; malformed pairs are skipped. */
export function goQueryGet(rawQuery: string, key: string): string {
  for (const pair of rawQuery.split('&')) {
    // Go 1.17+ rejects (skips) pairs containing ';'.
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    try {
      if (unescape(rawKey, 'query') === key) return unescape(rawValue, 'query');
    } catch {
      continue;
    }
  }
  return '';
}

/**
 * geth's path for a file URL, Go's `filepath.Join(u.Host, u.Path)`: the host
 * is the first path element, so `file://./a/b` is `a/b` (relative) and
 * `file:///a/b` is `/a/b`; all-empty gives ''.
 */
export function goFilePath(url: GoUrl): string {
  const joined = [url.host, url.path].filter((part) => part !== '').join('/');
  if (joined === '') return '';
  const clean = posix.normalize(joined);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

class ReasonError extends Error {}

function hasControlByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function parseMain(raw: string): GoUrl {
  const url: GoUrl = { scheme: '', opaque: '', host: '', path: '', rawQuery: '', fragment: '' };
  if (hasControlByte(raw)) throw new ReasonError('net/url: invalid control character in URL');
  if (raw === '*') {
    url.path = '*';
    return url;
  }
  const [scheme, afterScheme] = splitScheme(raw);
  url.scheme = scheme.toLowerCase();
  let rest = afterScheme;
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) {
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (url.scheme !== '') {
      url.opaque = rest;
      return url;
    }
    // Go refuses "a:b/c" without a scheme so it is not mistaken for a scheme.
    const firstSegment = rest.split('/', 1)[0] ?? '';
    if (firstSegment.includes(':')) throw new ReasonError('first path segment in URL cannot contain colon');
  }
  if ((url.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    rest = slash < 0 ? '' : authority.slice(slash);
    authority = slash < 0 ? authority : authority.slice(0, slash);
    url.host = parseAuthority(authority);
  }
  url.path = unescape(rest, 'path');
  return url;
}

function splitScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (isAlpha(c)) continue;
    if (isDigit(c) || c === '+' || c === '-' || c === '.') {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new ReasonError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

/** Returns the host; userinfo is validated (as Go does) but not kept. */
function parseAuthority(authority: string): string {
  const at = authority.lastIndexOf('@');
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    for (const c of userinfo) {
      if (!isAlpha(c) && !isDigit(c) && !USERINFO_OK.has(c))
        throw new ReasonError('net/url: invalid userinfo');
    }
    unescape(userinfo, 'path');
  }
  return host;
}

function parseHost(host: string): string {
  let portStart = -1;
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new ReasonError("missing ']' in host");
    portStart = close + 1;
  } else {
    portStart = host.lastIndexOf(':');
  }
  if (portStart >= 0) {
    const colonPort = host.slice(portStart);
    if (!/^(:[0-9]*)?$/.test(colonPort))
      throw new ReasonError(`invalid port ${goQuote(colonPort)} after host`);
  }
  return unescape(host, 'host');
}

/**
 * Go's `unescape`: validates %-escapes (and host characters) and decodes to
 * UTF-8 text. Runs between escapes are encoded whole, so the cost stays
 * linear in the length of the value.
 */
function unescape(s: string, mode: Mode): string {
  const parts: Uint8Array[] = [];
  let start = 0;
  const literalUpTo = (end: number): void => {
    if (end > start) parts.push(encoder.encode(s.slice(start, end)));
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) {
        throw new ReasonError(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`);
      }
      const escape = s.slice(i, i + 3);
      // RFC 3986: in a host, %-encoding is only for non-ASCII bytes (and %25 for IPv6 zones).
      if (mode === 'host' && parseInt(s.charAt(i + 1), 16) < 8 && escape !== '%25') {
        throw new ReasonError(`invalid URL escape ${goQuote(escape)}`);
      }
      literalUpTo(i);
      parts.push(Uint8Array.of(parseInt(escape.slice(1), 16)));
      i += 2;
      start = i + 1;
      continue;
    }
    if (mode === 'host' && c.charCodeAt(0) < 0x80 && !isAlpha(c) && !isDigit(c) && !HOST_OK.has(c)) {
      throw new ReasonError(`invalid character ${goQuote(c)} in host name`);
    }
    if (mode === 'query' && c === '+') {
      literalUpTo(i);
      parts.push(SPACE);
      start = i + 1;
    }
  }
  literalUpTo(s.length);
  // Lone surrogates were encoded as U+FFFD; %-bytes that are not UTF-8 decode to U+FFFD too.
  return decoder.decode(parts.length === 1 ? parts[0] : Buffer.concat(parts));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SPACE = Uint8Array.of(0x20);
