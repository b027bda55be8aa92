/**
 * `JSON.stringify` for values that may nest deeper than V8's recursive
 * serializer goes: it throws RangeError at about 4,000 levels, while a
 * settings config or a JSON-RPC request may nest 10,000 deep (Go's limit).
 * The fast path is JSON.stringify itself; only when it overflows is the same
 * text written again with an explicit stack.
 */

export type JsonReplacer = (this: unknown, key: string, value: unknown) => unknown;

/** Same result as `JSON.stringify(value, replacer, indent)` (including its TypeErrors), at any depth. */
export function stringifyJson(value: unknown, replacer?: JsonReplacer, indent?: number): string | undefined {
  try {
    return JSON.stringify(value, replacer, indent);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return stringifyIteratively(value, replacer, indent);
  }
}

/** A container being written: its members' keys (objects) or length (arrays), and the next index. */
interface Open {
  holder: object;
  keys: readonly string[] | undefined;
  length: number;
  next: number;
  /** Whether a member has been written (objects skip undefined members). */
  written: boolean;
}

/** The slow path, exported for tests that compare it with JSON.stringify on shallow values. */
export function stringifyIteratively(
  root: unknown,
  replacer?: JsonReplacer,
  indent?: number,
): string | undefined {
  const gap = ' '.repeat(Math.min(10, Math.max(0, Math.floor(indent ?? 0))));
  const out: string[] = [];
  const stack: Open[] = [];
  const ancestors = new Set<object>();
  const newline = (depth: number): void => {
    if (gap !== '') out.push('\n', gap.repeat(depth));
  };
  /** The value JSON.stringify would serialize for `holder[key]`, after toJSON and the replacer. */
  const prepare = (holder: object, key: string, raw: unknown): unknown => {
    let value = raw;
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { toJSON?: unknown }).toJSON === 'function'
    )
      value = (value as { toJSON(key: string): unknown }).toJSON(key);
    if (replacer) value = replacer.call(holder, key, value);
    if (value instanceof Number || value instanceof String || value instanceof Boolean)
      value = value.valueOf();
    return value;
  };
  /** Writes a prepared value; returns false when it has no JSON form (undefined, functions, symbols). */
  const write = (value: unknown): boolean => {
    if (value === null) out.push('null');
    else if (typeof value === 'string') out.push(JSON.stringify(value));
    else if (typeof value === 'number') out.push(Number.isFinite(value) ? String(value) : 'null');
    else if (typeof value === 'boolean') out.push(value ? 'true' : 'false');
    else if (typeof value === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
    else if (typeof value !== 'object') return false;
    else {
      if (ancestors.has(value)) throw new TypeError('Converting circular structure to JSON');
      ancestors.add(value);
      const keys = Array.isArray(value) ? undefined : Object.keys(value);
      const length = keys === undefined ? (value as unknown[]).length : keys.length;
      out.push(keys === undefined ? '[' : '{');
      stack.push({ holder: value, keys, length, next: 0, written: false });
    }
    return true;
  };

  const top = prepare({ '': root }, '', root);
  if (!write(top)) return undefined;
  for (let open = stack.at(-1); open !== undefined; open = stack.at(-1)) {
    if (open.next < open.length) {
      const i = open.next++;
      const key = open.keys === undefined ? String(i) : open.keys[i]!;
      const value = prepare(open.holder, key, (open.holder as Record<string, unknown>)[key]);
      const isArray = open.keys === undefined;
      // Objects drop members without a JSON form; arrays write null for them.
      if (!isArray && (value === undefined || typeof value === 'function' || typeof value === 'symbol'))
        continue;
      if (open.written) out.push(',');
      open.written = true;
      newline(stack.length);
      if (!isArray) out.push(JSON.stringify(key), gap === '' ? ':' : ': ');
      if (!write(value)) out.push('null');
      continue;
    }
    stack.pop();
    ancestors.delete(open.holder);
    if (open.written) newline(stack.length);
    out.push(open.keys === undefined ? ']' : '}');
  }
  return out.join('');
}
