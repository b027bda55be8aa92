/**
 * A JSON parser that behaves like Go's `json.Decoder.Decode` on geth's
 * settings file: it reads only the first value (the rest of the file is
 * returned so the caller can warn about it), reports syntax errors with Go's
 * texts (`invalid character 'x' looking for beginning of value`,
 * `unexpected EOF`, `EOF`) and keeps raw tokens and offsets.
 */
import { goQuoteByte } from './go-quote.js';
import { joinPath } from './value-tree.js';
import type { Entry, TreeNode } from './value-tree.js';

/** Go's json.SyntaxError (or io.EOF / io.ErrUnexpectedEOF); `at` is the offset, `path` where it happened. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly at: number,
    readonly path: string,
  ) {
    super(message);
  }
}

export interface FirstValue {
  value: TreeNode;
  /** Offset just past the first value. */
  end: number;
  /** Non-whitespace text after the first value, which Go ignores. */
  trailing: string;
}

/** Go's limit on nesting (encoding/json `maxNestingDepth`). */
const MAX_DEPTH = 10000;
const WS = new Set([' ', '\t', '\n', '\r']);
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export function parseFirstJsonValue(text: string): FirstValue {
  const parser = new Parser(text);
  parser.skipWs();
  if (parser.atEnd()) throw new JsonSyntaxError('EOF', parser.pos, '');
  const value = parser.value('', 0);
  const end = parser.pos;
  return { value, end, trailing: text.slice(end).trim() };
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipWs(): void {
    while (!this.atEnd() && WS.has(this.text.charAt(this.pos))) this.pos++;
  }

  /** The character at the cursor; end of input mid-value is Go's `unexpected EOF`. */
  private peek(path: string): string {
    if (this.atEnd()) throw new JsonSyntaxError('unexpected EOF', this.pos, path);
    return String.fromCodePoint(this.text.codePointAt(this.pos) ?? 0);
  }

  private fail(ch: string, context: string, path: string): never {
    throw new JsonSyntaxError(`invalid character ${goQuoteByte(ch)} ${context}`, this.pos, path);
  }

  value(path: string, depth: number): TreeNode {
    const at = this.pos;
    const ch = this.peek(path);
    if (ch === '{') return this.object(path, depth + 1);
    if (ch === '[') return this.array(path, depth + 1);
    if (ch === '"') {
      const value = this.string(path);
      return { kind: 'string', value, raw: this.text.slice(at, this.pos), at };
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) return this.number(path);
    if (ch === 't' || ch === 'f' || ch === 'n') {
      const word = ch === 't' ? 'true' : ch === 'f' ? 'false' : 'null';
      this.literal(word, path);
      return word === 'null' ? { kind: 'null', at } : { kind: 'bool', value: word === 'true', at };
    }
    return this.fail(ch, 'looking for beginning of value', path);
  }

  private object(path: string, depth: number): TreeNode {
    const at = this.pos;
    if (depth > MAX_DEPTH) throw new JsonSyntaxError('exceeded max depth', at, path);
    this.pos++;
    const entries: Entry[] = [];
    this.skipWs();
    if (this.peek(path) === '}') {
      this.pos++;
      return { kind: 'object', entries, at };
    }
    for (;;) {
      const keyAt = this.pos;
      const open = this.peek(path);
      if (open !== '"') this.fail(open, 'looking for beginning of object key string', path);
      const key = this.string(path);
      const valuePath = joinPath(path, key);
      this.skipWs();
      const colon = this.peek(valuePath);
      if (colon !== ':') this.fail(colon, 'after object key', valuePath);
      this.pos++;
      this.skipWs();
      entries.push({ key, value: this.value(valuePath, depth), keyAt });
      this.skipWs();
      const next = this.peek(path);
      this.pos++;
      if (next === '}') return { kind: 'object', entries, at };
      if (next !== ',') {
        this.pos--;
        this.fail(next, 'after object key:value pair', valuePath);
      }
      this.skipWs();
    }
  }

  private array(path: string, depth: number): TreeNode {
    const at = this.pos;
    if (depth > MAX_DEPTH) throw new JsonSyntaxError('exceeded max depth', at, path);
    this.pos++;
    const items: TreeNode[] = [];
    this.skipWs();
    if (this.peek(path) === ']') {
      this.pos++;
      return { kind: 'array', items, at };
    }
    for (;;) {
      const itemPath = joinPath(path, items.length);
      items.push(this.value(itemPath, depth));
      this.skipWs();
      const next = this.peek(path);
      this.pos++;
      if (next === ']') return { kind: 'array', items, at };
      if (next !== ',') {
        this.pos--;
        this.fail(next, 'after array element', itemPath);
      }
      this.skipWs();
    }
  }

  /** Reads a string token (cursor on the opening quote) and returns its decoded value. */
  private string(path: string): string {
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.peek(path);
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '\\') {
        this.pos++;
        out += this.escape(path);
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) this.fail(ch, 'in string literal', path);
      out += ch;
      this.pos += ch.length;
    }
  }

  /** Decodes one escape (cursor after the backslash); bad surrogates become U+FFFD as in Go. */
  private escape(path: string): string {
    const ch = this.peek(path);
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) {
      this.pos++;
      return simple;
    }
    if (ch !== 'u') this.fail(ch, 'in string escape code', path);
    this.pos++;
    const unit = this.hex4(path);
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    // Go pairs a high surrogate only with an immediately following \u low surrogate.
    if (unit < 0xdc00 && this.text.startsWith('\\u', this.pos)) {
      const save = this.pos;
      this.pos += 2;
      const low = this.hex4(path);
      if (low >= 0xdc00 && low <= 0xdfff) return String.fromCharCode(unit, low);
      this.pos = save;
    }
    return '\ufffd';
  }

  private hex4(path: string): number {
    let value = 0;
    for (let k = 0; k < 4; k++) {
      const ch = this.peek(path);
      const digit = /^[0-9a-fA-F]$/.test(ch) ? parseInt(ch, 16) : -1;
      if (digit < 0) this.fail(ch, 'in \\u hexadecimal character escape', path);
      value = value * 16 + digit;
      this.pos++;
    }
    return value;
  }

  private number(path: string): TreeNode {
    const at = this.pos;
    const digits = (): void => {
      while (!this.atEnd() && /[0-9]/.test(this.text.charAt(this.pos))) this.pos++;
    };
    if (this.text.charAt(this.pos) === '-') {
      this.pos++;
      const ch = this.peek(path);
      if (!/[0-9]/.test(ch)) this.fail(ch, 'in numeric literal', path);
    }
    if (this.text.charAt(this.pos) === '0') this.pos++;
    else digits();
    if (this.text.charAt(this.pos) === '.') {
      this.pos++;
      const ch = this.peek(path);
      if (!/[0-9]/.test(ch)) this.fail(ch, 'after decimal point in numeric literal', path);
      digits();
    }
    const e = this.text.charAt(this.pos);
    if (e === 'e' || e === 'E') {
      this.pos++;
      const sign = this.peek(path);
      if (sign === '+' || sign === '-') this.pos++;
      const ch = this.peek(path);
      if (!/[0-9]/.test(ch)) this.fail(ch, 'in exponent of numeric literal', path);
      digits();
    }
    const raw = this.text.slice(at, this.pos);
    return { kind: 'number', value: Number(raw), raw, at };
  }

  /** Matches a literal, cursor on its first letter. */
  private literal(word: 'true' | 'false' | 'null', path: string): void {
    for (let k = 0; k < word.length; k++) {
      const ch = this.peek(path);
      const expected = word.charAt(k);
      if (ch !== expected) this.fail(ch, `in literal ${word} (expecting '${expected}')`, path);
      this.pos++;
    }
  }
}
