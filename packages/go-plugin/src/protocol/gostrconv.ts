/**
 * Go's strconv parsing rules and error texts. go-plugin peers parse handshake
 * fields and env values with strconv; reproducing the rules makes us accept
 * exactly what they accept, and the texts make our errors match theirs.
 */

/** Go's %q for the strings we meet (ASCII, printable UTF-8, control bytes). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

export class GoNumError extends Error {
  constructor(fn: string, input: string, reason: 'invalid syntax' | 'value out of range') {
    super(`strconv.${fn}: parsing ${goQuote(input)}: ${reason}`);
  }
}

/** strconv.ParseInt(s, 10, bits): optional sign, decimal digits, no spaces. */
export function goParseInt(s: string, bits: 32 | 64 = 64, fn = 'ParseInt'): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new GoNumError(fn, s, 'invalid syntax');
  const value = BigInt(s);
  const limit = 1n << BigInt(bits - 1);
  if (value >= limit || value < -limit) throw new GoNumError(fn, s, 'value out of range');
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    // Valid for Go but not representable here; no realistic version or port is this large.
    throw new GoNumError(fn, s, 'value out of range');
  }
  return Number(value);
}

/** strconv.Atoi on a 64-bit platform. */
export function goAtoi(s: string): number {
  return goParseInt(s, 64, 'Atoi');
}

/** strconv.ParseBool. */
export function goParseBool(s: string): boolean {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      throw new Error(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
  }
}
