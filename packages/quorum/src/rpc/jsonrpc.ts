/**
 * JSON-RPC 2.0 messages and errors, with the codes and texts geth answers
 * with (so clients written for geth see the same errors).
 */

export const ErrorCode = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
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
