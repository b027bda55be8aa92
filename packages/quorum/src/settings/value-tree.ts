/**
 * The decoded settings document before it is mapped onto Settings. JSON and
 * TOML both parse into this tree so one decoder gives both formats the same
 * rules; JSON nodes keep their source offset and raw text, because geth's
 * baseDir decoder looks at the raw token and because errors should point at
 * a line and column.
 */
import type { RawConfig } from './types.js';

export type TreeNode = ObjectNode | ArrayNode | StringNode | NumberNode | BoolNode | NullNode | DateTimeNode;

interface Located {
  /** Offset in the source text (JSON only). */
  at?: number;
}

export interface Entry {
  key: string;
  value: TreeNode;
  /** Offset of the key in the source text (JSON only). */
  keyAt?: number;
}

export interface ObjectNode extends Located {
  kind: 'object';
  entries: Entry[];
}
export interface ArrayNode extends Located {
  kind: 'array';
  items: TreeNode[];
}
export interface StringNode extends Located {
  kind: 'string';
  value: string;
  /** The token as written, quotes and escapes included (JSON only). */
  raw?: string;
}
export interface NumberNode extends Located {
  kind: 'number';
  value: number;
  raw: string;
}
export interface BoolNode extends Located {
  kind: 'bool';
  value: boolean;
}
export interface NullNode extends Located {
  kind: 'null';
}
/** TOML date/time; `value` is its TOML text. */
export interface DateTimeNode extends Located {
  kind: 'datetime';
  value: string;
}

/** How encoding/json names a JSON value's kind in `cannot unmarshal <kind> into ...`. */
export function goValueKind(node: TreeNode): string {
  return node.kind === 'null' ? 'null' : node.kind;
}

/** A short rendering of what was found, for messages: `number 1`, `string "x"`, `object`. */
export function describeNode(node: TreeNode): string {
  switch (node.kind) {
    case 'object':
    case 'array':
    case 'null':
      return node.kind;
    case 'string':
      return `string ${JSON.stringify(node.value.length > 60 ? `${node.value.slice(0, 57)}...` : node.value)}`;
    case 'number':
      return `number ${shortText(node.raw)}`;
    case 'bool':
      return `boolean ${String(node.value)}`;
    case 'datetime':
      return `datetime ${node.value}`;
  }
}

/**
 * The value geth keeps in `PluginDefinition.Config` (an `interface{}`):
 * objects become maps where a repeated key keeps its last value, like Go's
 * map decoding. Keys are stored as own data properties so `__proto__` is data.
 * Iterative: a config may nest as deep as Go's decoder allows (10,000 levels).
 */
export function toRawConfig(root: TreeNode): RawConfig {
  const scalar = (node: TreeNode): RawConfig | undefined => {
    switch (node.kind) {
      case 'string':
      case 'datetime':
      case 'number':
      case 'bool':
        return node.value;
      case 'null':
        return null;
      default:
        return undefined;
    }
  };
  const rootValue = scalar(root);
  if (rootValue !== undefined) return rootValue;
  // Containers are filled after their children: each pending container keeps
  // its node, the converted children so far and the index of the next one.
  interface Pending {
    node: ObjectNode | ArrayNode;
    children: readonly TreeNode[];
    values: RawConfig[];
  }
  const pending = (node: TreeNode): Pending => {
    const container = node as ObjectNode | ArrayNode;
    const children = container.kind === 'array' ? container.items : container.entries.map((e) => e.value);
    return { node: container, children, values: [] };
  };
  const stack: Pending[] = [pending(root)];
  for (;;) {
    const top = stack.at(-1)!;
    if (top.values.length < top.children.length) {
      const child = top.children[top.values.length]!;
      const value = scalar(child);
      if (value !== undefined) top.values.push(value);
      else stack.push(pending(child));
      continue;
    }
    stack.pop();
    let done: RawConfig;
    if (top.node.kind === 'array') done = top.values;
    else {
      const map = new Map<string, RawConfig>();
      top.node.entries.forEach((entry, i) => map.set(entry.key, top.values[i]!));
      done = Object.fromEntries(map) as { [key: string]: unknown };
    }
    const parent = stack.at(-1);
    if (parent === undefined) return done;
    parent.values.push(done);
  }
}

/**
 * Offsets to 1-based line:column, with the line starts found once, so that
 * any number of warnings costs a binary search each rather than a rescan.
 */
export class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  locate(at: number): { line: number; column: number } {
    if (this.starts === undefined) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.starts = starts;
    }
    const starts = this.starts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= at) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: at - starts[low]! + 1 };
  }
}

/** 1-based line and column of an offset, for one message (use a LineIndex for many). */
export function lineColumn(text: string, at: number): { line: number; column: number } {
  return new LineIndex(text).locate(at);
}

/**
 * A value as shown in a message: whole up to `max` characters, else its start
 * and its length, so a hostile 20 MB value does not become a 20 MB message.
 */
export function shortText(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/** Appends a key or index to a JSON path: `providers.helloworld`, `a["x.y"]`, `list[0]`. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const segment = /^[A-Za-z0-9_$-]+$/.test(key) ? key : null;
  if (segment === null) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? segment : `${path}.${segment}`;
}
