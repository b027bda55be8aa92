/**
 * A JSON parser that behaves like Go's `json.Decoder.Decode` on geth's
 * settings file: it reads only the first value (the rest of the file is
 * returned so the caller can warn about it), reports syntax errors with Go's
 * texts (`invalid character 'x' looking for beginning of value`,
 * `unexpected EOF`, `EOF`, `invalid character '[' exceeded max depth`) and
 * keeps raw tokens and offsets.
 *
 * It keeps its own stack of open containers instead of recursing, so a
 * hostile file cannot overflow the call stack before Go's depth limit is
 * reached, and it builds JSON paths only when an error needs one.
 */
import { goQuoteByte } from './go-quote.js';
import { joinPath } from './value-tree.js';
import type { ArrayNode, ObjectNode, TreeNode } from './value-tree.js';

/** Go's json.SyntaxError (or io.EOF / io.ErrUnexpectedEOF); `at` is the offset, `path` where it happened. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly at: number,
    readonly path: string,
    /** What to do, when the text alone does not say (the depth limit). */
    readonly fix?: string,
    readonly details?: Record<string, unknown>,
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

/** Go's limit on nesting (encoding/json `maxNestingDepth`): the 10,001st open bracket fails. */
export const MAX_JSON_DEPTH = 10000;

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

/** Decoded string pieces are joined in batches so escape-heavy strings stay linear in time and memory. */
const PIECES_PER_JOIN = 4096;

export function parseFirstJsonValue(text: string): FirstValue {
  const parser = new Parser(text);
  parser.skipWs();
  if (parser.atEnd()) throw new JsonSyntaxError('EOF', parser.pos, '');
  const value = parser.document();
  const end = parser.pos;
  return { value, end, trailing: text.slice(end).trim() };
}

/** An open object or array; `segment` is the key or index of the child being read, if any yet. */
interface ObjectFrame {
  kind: 'object';
  node: ObjectNode;
  segment: string | undefined;
  keyAt: number;
}
interface ArrayFrame {
  kind: 'array';
  node: ArrayNode;
  segment: number | undefined;
}
type Frame = ObjectFrame | ArrayFrame;

function isWs(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

class Parser {
  pos = 0;
  private readonly stack: Frame[] = [];

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipWs(): void {
    const text = this.text;
    let pos = this.pos;
    while (pos < text.length && isWs(text.charCodeAt(pos))) pos++;
    this.pos = pos;
  }

  /**
   * The JSON path of the open containers; with `child`, down to the value
   * the innermost one is reading (its key or index), else to the container.
   */
  private path(child: boolean): string {
    let path = '';
    const last = this.stack.length - 1;
    for (let i = 0; i <= last; i++) {
      const segment = this.stack[i]!.segment;
      if ((i < last || child) && segment !== undefined) path = joinPath(path, segment);
    }
    return path;
  }

  /** The character at the cursor; end of input mid-value is Go's `unexpected EOF`. */
  private peek(child: boolean): string {
    if (this.atEnd()) throw new JsonSyntaxError('unexpected EOF', this.pos, this.path(child));
    return String.fromCodePoint(this.text.codePointAt(this.pos) ?? 0);
  }

  private fail(ch: string, context: string, child: boolean): never {
    throw new JsonSyntaxError(`invalid character ${goQuoteByte(ch)} ${context}`, this.pos, this.path(child));
  }

  /**
   * Reads one value. Each pass of the outer loop starts a value (the cursor
   * on its first character); a container pushes a frame and goes on with its
   * first child, a finished value is handed to the frames that close after it.
   */
  document(): TreeNode {
    for (;;) {
      let value = this.open();
      if (value === undefined) continue;
      for (;;) {
        const top = this.stack.at(-1);
        if (top === undefined) return value;
        value = this.append(top, value);
        if (value === undefined) break;
      }
    }
  }

  /** Starts a value: a scalar or an empty container is returned whole; otherwise a frame is pushed. */
  private open(): TreeNode | undefined {
    const at = this.pos;
    const ch = this.peek(true);
    if (ch === '{' || ch === '[') {
      if (this.stack.length >= MAX_JSON_DEPTH) {
        throw new JsonSyntaxError(
          `invalid character ${goQuoteByte(ch)} exceeded max depth`,
          this.pos,
          this.path(true),
          `Go's JSON decoder accepts at most ${MAX_JSON_DEPTH} nested arrays and objects; flatten the value`,
          { maxDepth: MAX_JSON_DEPTH },
        );
      }
      this.pos++;
      this.skipWs();
      if (ch === '{') {
        const node: ObjectNode = { kind: 'object', entries: [], at };
        const frame: ObjectFrame = { kind: 'object', node, segment: undefined, keyAt: this.pos };
        this.stack.push(frame);
        if (this.peek(false) === '}') {
          this.pos++;
          this.stack.pop();
          return node;
        }
        this.key(frame);
        return undefined;
      }
      const node: ArrayNode = { kind: 'array', items: [], at };
      const frame: ArrayFrame = { kind: 'array', node, segment: undefined };
      this.stack.push(frame);
      if (this.peek(false) === ']') {
        this.pos++;
        this.stack.pop();
        return node;
      }
      frame.segment = 0;
      return undefined;
    }
    if (ch === '"') {
      const value = this.string(true);
      return { kind: 'string', value, raw: this.text.slice(at, this.pos), at };
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) return this.number();
    if (ch === 't' || ch === 'f' || ch === 'n') {
      const word = ch === 't' ? 'true' : ch === 'f' ? 'false' : 'null';
      this.literal(word);
      return word === 'null' ? { kind: 'null', at } : { kind: 'bool', value: word === 'true', at };
    }
    return this.fail(ch, 'looking for beginning of value', true);
  }

  /** Reads `"key":` (cursor on the key) and leaves the cursor on the value. */
  private key(frame: ObjectFrame): void {
    frame.keyAt = this.pos;
    frame.segment = undefined;
    const open = this.peek(false);
    if (open !== '"') this.fail(open, 'looking for beginning of object key string', false);
    frame.segment = this.string(false);
    this.skipWs();
    const colon = this.peek(true);
    if (colon !== ':') this.fail(colon, 'after object key', true);
    this.pos++;
    this.skipWs();
  }

  /**
   * Adds a finished child to the innermost container, then reads what follows
   * it: returns the container when it closes, undefined when another child
   * starts (cursor on it).
   */
  private append(frame: Frame, value: TreeNode): TreeNode | undefined {
    const isObject = frame.kind === 'object';
    if (isObject) frame.node.entries.push({ key: frame.segment ?? '', value, keyAt: frame.keyAt });
    else frame.node.items.push(value);
    this.skipWs();
    const next = this.peek(false);
    if (next === (isObject ? '}' : ']')) {
      this.pos++;
      this.stack.pop();
      return frame.node;
    }
    if (next !== ',') this.fail(next, isObject ? 'after object key:value pair' : 'after array element', true);
    this.pos++;
    this.skipWs();
    if (frame.kind === 'object') this.key(frame);
    else frame.segment = frame.node.items.length;
    return undefined;
  }

  /**
   * Reads a string token (cursor on the opening quote) and returns its decoded
   * value. Runs without escapes are copied as one slice.
   */
  private string(child: boolean): string {
    const text = this.text;
    const pieces: string[] = [];
    let out = '';
    let i = this.pos + 1;
    let start = i;
    for (;;) {
      if (i >= text.length) {
        this.pos = i;
        throw new JsonSyntaxError('unexpected EOF', i, this.path(child));
      }
      const code = text.charCodeAt(i);
      if (code === 0x22 || code === 0x5c) {
        if (i > start) pieces.push(text.slice(start, i));
        this.pos = i + 1;
        if (code === 0x22) return out + pieces.join('');
        pieces.push(this.escape(child));
        i = this.pos;
        start = i;
        if (pieces.length >= PIECES_PER_JOIN) {
          out += pieces.join('');
          pieces.length = 0;
        }
        continue;
      }
      if (code < 0x20) {
        this.pos = i;
        this.fail(text.charAt(i), 'in string literal', child);
      }
      i++;
    }
  }

  /** Decodes one escape (cursor after the backslash); bad surrogates become U+FFFD as in Go. */
  private escape(child: boolean): string {
    const ch = this.peek(child);
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) {
      this.pos++;
      return simple;
    }
    if (ch !== 'u') this.fail(ch, 'in string escape code', child);
    this.pos++;
    const unit = this.hex4(child);
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    // Go pairs a high surrogate only with an immediately following \u low surrogate.
    if (unit < 0xdc00 && this.text.startsWith('\\u', this.pos)) {
      const save = this.pos;
      this.pos += 2;
      const low = this.hex4(child);
      if (low >= 0xdc00 && low <= 0xdfff) return String.fromCharCode(unit, low);
      this.pos = save;
    }
    return '\ufffd';
  }

  private hex4(child: boolean): number {
    let value = 0;
    for (let k = 0; k < 4; k++) {
      const ch = this.peek(child);
      const digit = /^[0-9a-fA-F]$/.test(ch) ? parseInt(ch, 16) : -1;
      if (digit < 0) this.fail(ch, 'in \\u hexadecimal character escape', child);
      value = value * 16 + digit;
      this.pos++;
    }
    return value;
  }

  private number(): TreeNode {
    const text = this.text;
    const at = this.pos;
    const digits = (): void => {
      while (this.pos < text.length && isDigit(text.charCodeAt(this.pos))) this.pos++;
    };
    const requireDigit = (context: string): void => {
      const ch = this.peek(true);
      if (!isDigit(ch.charCodeAt(0))) this.fail(ch, context, true);
    };
    if (text.charCodeAt(this.pos) === 0x2d) {
      this.pos++;
      requireDigit('in numeric literal');
    }
    if (text.charCodeAt(this.pos) === 0x30) this.pos++;
    else digits();
    if (text.charCodeAt(this.pos) === 0x2e) {
      this.pos++;
      requireDigit('after decimal point in numeric literal');
      digits();
    }
    const e = text.charCodeAt(this.pos);
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      const sign = this.peek(true);
      if (sign === '+' || sign === '-') this.pos++;
      requireDigit('in exponent of numeric literal');
      digits();
    }
    const raw = text.slice(at, this.pos);
    return { kind: 'number', value: Number(raw), raw, at };
  }

  /** Matches a literal, cursor on its first letter. */
  private literal(word: 'true' | 'false' | 'null'): void {
    for (let k = 0; k < word.length; k++) {
      const ch = this.peek(true);
      const expected = word.charAt(k);
      if (ch !== expected) this.fail(ch, `in literal ${word} (expecting '${expected}')`, true);
      this.pos++;
    }
  }
}
