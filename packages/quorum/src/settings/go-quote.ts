/**
 * Go's quoting of strings and single bytes in error messages (`%q`,
 * `strconv.Quote`, encoding/json's `quoteChar`), so our messages carry the
 * same text as geth's.
 */

const NAMED: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

/** True for code points Go's `strconv.IsPrint` rejects within Latin-1 (controls, NBSP, soft hyphen). */
function isLatin1NonPrint(cp: number): boolean {
  return cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0xa0) || cp === 0xad;
}

function escapeRune(ch: string, quote: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  if (ch === quote) return `\\${quote}`;
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x80 && isLatin1NonPrint(cp)) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (isLatin1NonPrint(cp) || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) {
    return `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return ch;
}

/** `strconv.Quote`, close enough for messages: Go's escapes for controls and Latin-1 non-printables. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch, '"');
  return `${out}"`;
}

/**
 * encoding/json's `quoteChar`: Go reports the offending *byte*, so a
 * non-ASCII character shows as its first UTF-8 byte read as Latin-1
 * (a UTF-8 BOM appears as 'ï').
 */
export function goQuoteByte(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '"') return "'\"'";
  const first = new TextEncoder().encode(ch)[0] ?? 0;
  return `'${escapeRune(String.fromCharCode(first), "'")}'`;
}
