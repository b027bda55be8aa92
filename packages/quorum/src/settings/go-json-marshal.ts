/**
 * Go's `json.Marshal` of the `interface{}` values encoding/json decodes
 * (maps, slices, strings, float64, bool, nil), so a plugin's `config` object
 * reaches Init byte for byte as geth sends it: compact, map keys sorted by
 * their UTF-8 bytes at every level, `<`, `>`, `&`, U+2028 and U+2029 escaped,
 * numbers in Go's float64 format.
 */

export class GoMarshalError extends Error {
  override readonly name = 'GoMarshalError';
}

const encoder = new TextEncoder();

/** Go's json.Marshal output for a decoded JSON value, as bytes. */
export function goMarshal(value: unknown): Uint8Array {
  return encoder.encode(marshalText(value));
}

/** An array or object being written: its keys (objects, sorted) and the index of the next member. */
interface Open {
  container: object;
  keys: readonly string[] | undefined;
  length: number;
  next: number;
}

/**
 * Writes with its own stack rather than recursion: a config may nest as deep
 * as the settings decoder allows (10,000 levels), deeper than V8's JSON.stringify goes.
 */
function marshalText(root: unknown): string {
  const out: string[] = [];
  const stack: Open[] = [];
  // The containers on the stack: meeting one again is a cycle, as Go's ptrLevel check finds.
  const ancestors = new Set<object>();
  const write = (value: unknown): void => {
    const text = scalarText(value);
    if (text !== undefined) {
      out.push(text);
      return;
    }
    const container = value as object;
    if (ancestors.has(container)) throw new GoMarshalError('json: unsupported value: encountered a cycle');
    ancestors.add(container);
    if (Array.isArray(container)) {
      out.push('[');
      stack.push({ container, keys: undefined, length: container.length, next: 0 });
    } else {
      const keys = Object.keys(container).sort(compareUtf8);
      out.push('{');
      stack.push({ container, keys, length: keys.length, next: 0 });
    }
  };
  write(root);
  for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
    if (top.next < top.length) {
      const i = top.next++;
      if (i > 0) out.push(',');
      if (top.keys === undefined) write((top.container as unknown[])[i]);
      else {
        const key = top.keys[i]!;
        out.push(goJsonString(key), ':');
        write((top.container as Record<string, unknown>)[key]);
      }
      continue;
    }
    out.push(top.keys === undefined ? ']' : '}');
    ancestors.delete(top.container);
    stack.pop();
  }
  return out.join('');
}

/** The text of a non-container value; undefined for arrays and objects. */
function scalarText(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return goJsonString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return goFloat(value);
    case 'bigint':
      return value.toString();
    case 'object':
      return undefined;
    default:
      throw new GoMarshalError(`json: unsupported type: ${typeof value}`);
  }
}

/** Go sorts map keys with `<` on strings, i.e. by UTF-8 bytes (JS compares UTF-16 units). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Go's float64 encoding. JS's shortest round-trip digits and its switch to
 * exponent form below 1e-6 and at 1e21 match Go's `'f'`/`'e'` choice, and
 * both print exponents without zero padding (`1e-7`, `1e+21`); only -0
 * differs.
 */
export function goFloat(value: number): string {
  if (!Number.isFinite(value)) throw new GoMarshalError(`json: unsupported value: ${goInfName(value)}`);
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

function goInfName(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  // Go 1.22+ (what Quorum's Docker image builds with) uses \b and \f here.
  '\b': '\\b',
  '\f': '\\f',
};

/** A Go JSON string literal with HTML escaping (json.Marshal's default); runs needing no escape are copied whole. */
export function goJsonString(s: string): string {
  const out: string[] = ['"'];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (code < 0xdc00 && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair is copied as is
        continue;
      }
    } else if (
      code >= 0x20 &&
      code !== 0x22 &&
      code !== 0x5c &&
      code !== 0x3c &&
      code !== 0x3e &&
      code !== 0x26 &&
      code !== 0x2028 &&
      code !== 0x2029
    ) {
      continue;
    }
    if (i > start) out.push(s.slice(start, i));
    const short = SHORT_ESCAPES[s.charAt(i)];
    if (short !== undefined) out.push(short);
    // A lone surrogate is invalid UTF-8 in Go, which writes \ufffd for it.
    else if (code >= 0xd800 && code <= 0xdfff) out.push('\\ufffd');
    else out.push(`\\u${code.toString(16).padStart(4, '0')}`);
    start = i + 1;
  }
  if (start < s.length) out.push(s.slice(start));
  out.push('"');
  return out.join('');
}
