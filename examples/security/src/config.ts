/**
 * The security plugin's configuration (the bytes geth passes to Init):
 *
 *   { "tls":    { "certPem"|"certFile", "keyPem"|"keyFile", "cipherSuites"?: [ids] },
 *     "tokens": { "<token>": { "expiresAt": RFC 3339 | epoch seconds,
 *                              "authorities": [ {"service","method"} | "service_method", … ] } } }
 *
 * Either half may be left out; the plugin then answers UNIMPLEMENTED for it,
 * which is how geth learns the half is not provided. Every problem is an
 * InvalidArgument naming the JSON path at fault.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { RpcError, Status } from '@qplugin/go-plugin/plugin';

export interface TlsMaterial {
  keyPem: Uint8Array;
  certPem: Uint8Array;
  cipherSuites: number[];
}

export interface Expiry {
  seconds: bigint;
  nanos: number;
}

export interface GrantedAuthority {
  service: string;
  method: string;
  raw: string;
}

export interface TokenGrant {
  expiresAt: Expiry;
  authorities: GrantedAuthority[];
}

export interface SecurityConfig {
  tls?: TlsMaterial;
  tokens?: ReadonlyMap<string, TokenGrant>;
}

const invalid = (message: string): RpcError => new RpcError(Status.INVALID_ARGUMENT, message);

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${path}: must be a JSON object`);
  return value as Json;
}

function onlyKeys(obj: Json, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(obj))
    if (!allowed.includes(key))
      throw invalid(`${path}: unknown key ${JSON.stringify(key)} (known: ${allowed.join(', ')})`);
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${path}: must be a non-empty string`);
  return value;
}

/** PEM text given inline (`<name>Pem`) or by file (`<name>File`), exactly one of them. */
function pem(tls: Json, name: 'cert' | 'key'): Uint8Array {
  const inline = tls[`${name}Pem`];
  const file = tls[`${name}File`];
  if ((inline === undefined) === (file === undefined))
    throw invalid(`tls: give exactly one of ${name}Pem and ${name}File`);
  if (inline !== undefined) return Buffer.from(string(inline, `tls.${name}Pem`), 'utf8');
  const path = string(file, `tls.${name}File`);
  try {
    return readFileSync(path);
  } catch (err) {
    throw invalid(`tls.${name}File: cannot read ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

function parseTls(value: unknown): TlsMaterial {
  const tls = object(value, 'tls');
  onlyKeys(tls, ['certPem', 'certFile', 'keyPem', 'keyFile', 'cipherSuites'], 'tls');
  const certPem = pem(tls, 'cert');
  const keyPem = pem(tls, 'key');
  try {
    createSecureContext({ cert: Buffer.from(certPem), key: Buffer.from(keyPem) });
  } catch (err) {
    throw invalid(`tls: unusable certificate/key pair: ${(err as Error).message}`);
  }
  const suites = tls.cipherSuites ?? [];
  if (!Array.isArray(suites)) throw invalid('tls.cipherSuites: must be an array of cipher suite ids');
  // Sent as uint32; the host decides which ids it accepts (geth refuses those above 0xFFFF).
  const cipherSuites = suites.map((id: unknown, i) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff)
      throw invalid(`tls.cipherSuites[${i}]: must be an integer in 0..4294967295`);
    return id;
  });
  return { certPem, keyPem, cipherSuites };
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 text (nanosecond precision kept) or epoch seconds. */
function parseExpiry(value: unknown, path: string): Expiry {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const seconds = Math.floor(value);
    return { seconds: BigInt(seconds), nanos: Math.min(999_999_999, Math.round((value - seconds) * 1e9)) };
  }
  const m = typeof value === 'string' ? RFC3339.exec(value) : null;
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms))
    throw invalid(`${path}: must be an RFC 3339 time (e.g. 2030-01-01T00:00:00Z) or epoch seconds`);
  return { seconds: BigInt(ms / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

function parseAuthority(value: unknown, path: string): GrantedAuthority {
  if (typeof value === 'string') {
    const at = value.indexOf('_');
    if (at <= 0 || at === value.length - 1)
      throw invalid(`${path}: ${JSON.stringify(value)} is not "<service>_<method>" (use * as a wildcard)`);
    return { service: value.slice(0, at), method: value.slice(at + 1), raw: value };
  }
  const obj = object(value, path);
  onlyKeys(obj, ['service', 'method'], path);
  const service = string(obj.service, `${path}.service`);
  const method = string(obj.method, `${path}.method`);
  return { service, method, raw: `${service}_${method}` };
}

function parseTokens(value: unknown): Map<string, TokenGrant> {
  const tokens = new Map<string, TokenGrant>();
  for (const [token, grant] of Object.entries(object(value, 'tokens'))) {
    const path = `tokens[${JSON.stringify(token)}]`;
    if (token.trim() === '') throw invalid(`${path}: a token cannot be empty`);
    const g = object(grant, path);
    onlyKeys(g, ['expiresAt', 'authorities'], path);
    if (!Array.isArray(g.authorities)) throw invalid(`${path}.authorities: must be an array`);
    tokens.set(token, {
      expiresAt: parseExpiry(g.expiresAt, `${path}.expiresAt`),
      authorities: g.authorities.map((a: unknown, i) => parseAuthority(a, `${path}.authorities[${i}]`)),
    });
  }
  return tokens;
}

/** Parses and checks the raw Init configuration; zero bytes mean an empty config. */
export function parseConfig(raw: Uint8Array): SecurityConfig {
  const text = Buffer.from(raw).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`invalid config: ${(err as Error).message}`);
  }
  const cfg = object(parsed, 'config');
  onlyKeys(cfg, ['tls', 'tokens'], 'config');
  return {
    ...(cfg.tls !== undefined ? { tls: parseTls(cfg.tls) } : {}),
    ...(cfg.tokens !== undefined ? { tokens: parseTokens(cfg.tokens) } : {}),
  };
}
