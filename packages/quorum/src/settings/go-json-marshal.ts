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
  return encoder.encode(marshalText(value, new Set()));
}

function marshalText(value: unknown, seen: Set<object>): string {
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
      break;
    default:
      throw new GoMarshalError(`json: unsupported type: ${typeof value}`);
  }
  if (seen.has(value)) throw new GoMarshalError('json: unsupported value: encountered a cycle');
  seen.add(value);
  try {
    if (Array.isArray(value)) return `[${value.map((item: unknown) => marshalText(item, seen)).join(',')}]`;
    const keys = Object.keys(value).sort(compareUtf8);
    const record = value as Record<string, unknown>;
    return `{${keys.map((key) => `${goJsonString(key)}:${marshalText(record[key], seen)}`).join(',')}}`;
  } finally {
    seen.delete(value);
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

/** A Go JSON string literal with HTML escaping (json.Marshal's default). */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    const code = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate is invalid UTF-8 in Go, which writes \ufffd for it.
      const next = s.charCodeAt(i + 1);
      if (code < 0xdc00 && next >= 0xdc00 && next <= 0xdfff) {
        out += s.slice(i, i + 2);
        i++;
      } else out += '\\ufffd';
    } else out += ch;
  }
  return `${out}"`;
}
