/**
 * JSON-RPC 2.0 messages and errors, with the codes and texts geth answers
 * with (so clients written for geth see the same errors).
 */

export const ErrorCode = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** geth's catch-all for errors returned by a method (plugin errors land here). */
  server: -32000,
  /** Quorum's security errors (missing/expired token, access denied). */
  security: -32001,
} as const;

/** An error a method throws to answer with a specific JSON-RPC code. */
export class RpcMethodError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export type JsonRpcId = string | number | null;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: JsonRpcId;
  method: string;
  params?: unknown;
}

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export const errorResponse = (
  id: JsonRpcId,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcResponse => ({
  jsonrpc: '2.0',
  id,
  error: data === undefined ? { code, message } : { code, message, data },
});

/**
 * geth reads request bodies with encoding/json, which refuses more than
 * 10,000 nested arrays and objects; geth answers that with its parse error.
 */
export const MAX_REQUEST_DEPTH = 10000;

/**
 * Whether valid JSON text nests deeper than `max`. A bracket count outside
 * strings is exact for text JSON.parse accepted; shorter text cannot nest deeper.
 */
export function nestsDeeperThan(text: string, max = MAX_REQUEST_DEPTH): boolean {
  if (text.length <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string, escapes included.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** What one element of a request body is: a call, or why it is not one. */
export type Parsed =
  | { kind: 'call'; request: JsonRpcRequest; notification: boolean }
  | { kind: 'invalid'; response: JsonRpcResponse };

function validId(id: unknown): id is JsonRpcId {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** Checks one message the way geth does (version, method string, id type). */
export function parseMessage(value: unknown): Parsed {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', response: errorResponse(null, ErrorCode.invalidRequest, 'invalid request') };
  }
  const msg = value as Record<string, unknown>;
  const id = validId(msg.id) ? msg.id : null;
  if (msg.jsonrpc !== '2.0' || typeof msg.method !== 'string' || (msg.id !== undefined && !validId(msg.id))) {
    return { kind: 'invalid', response: errorResponse(id, ErrorCode.invalidRequest, 'invalid request') };
  }
  return {
    kind: 'call',
    request: { jsonrpc: '2.0', id, method: msg.method, params: msg.params },
    notification: msg.id === undefined,
  };
}

/** Splits `namespace_method` as geth does (at the first underscore). */
export function splitMethod(name: string): { namespace: string; method: string } | undefined {
  const i = name.indexOf('_');
  if (i <= 0 || i === name.length - 1) return undefined;
  return { namespace: name.slice(0, i), method: name.slice(i + 1) };
}
