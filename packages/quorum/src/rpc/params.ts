/**
 * Positional parameters decoded the way geth decodes them into Go types, with
 * geth's error texts (code -32602).
 */
import { ErrorCode, RpcMethodError } from './jsonrpc.js';

/** The name Go's encoding/json gives a JSON value's type in unmarshal errors. */
function jsonTypeName(value: unknown): string {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

export type ParamKind = 'string' | 'object' | 'any';

const GO_TYPES: Record<ParamKind, string> = {
  string: 'string',
  object: 'map[string]interface {}',
  any: 'interface {}',
};

/**
 * Checks `params` against the method's parameter kinds. Trailing parameters
 * may be left out (they become null), as in geth; extra ones are an error.
 */
export function decodeParams(
  params: unknown,
  kinds: readonly ParamKind[],
  required = kinds.length,
): unknown[] {
  let list: unknown[];
  if (params === undefined || params === null) list = [];
  else if (Array.isArray(params)) list = params;
  else throw new RpcMethodError(ErrorCode.invalidParams, 'non-array args');
  if (list.length > kinds.length) {
    throw new RpcMethodError(ErrorCode.invalidParams, `too many arguments, want at most ${kinds.length}`);
  }
  return kinds.map((kind, i) => {
    const value = list[i];
    if (value === undefined) {
      if (i < required)
        throw new RpcMethodError(ErrorCode.invalidParams, `missing value for required argument ${i}`);
      return null;
    }
    if (value === null || kind === 'any') return value;
    const ok =
      kind === 'string' ? typeof value === 'string' : typeof value === 'object' && !Array.isArray(value);
    if (!ok) {
      throw new RpcMethodError(
        ErrorCode.invalidParams,
        `invalid argument ${i}: json: cannot unmarshal ${jsonTypeName(value)} into Go value of type ${GO_TYPES[kind]}`,
      );
    }
    return value;
  });
}
