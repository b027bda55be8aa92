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
      return `number ${node.raw}`;
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
 */
export function toRawConfig(node: TreeNode): RawConfig {
  switch (node.kind) {
    case 'object': {
      const map = new Map<string, unknown>();
      for (const entry of node.entries) map.set(entry.key, toRawConfig(entry.value));
      return Object.fromEntries(map) as { [key: string]: unknown };
    }
    case 'array':
      return node.items.map(toRawConfig);
    case 'string':
    case 'datetime':
      return node.value;
    case 'number':
      return node.value;
    case 'bool':
      return node.value;
    case 'null':
      return null;
  }
}

/** 1-based line and column of an offset, for messages. */
export function lineColumn(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}

/** Appends a key or index to a JSON path: `providers.helloworld`, `a["x.y"]`, `list[0]`. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const segment = /^[A-Za-z0-9_$-]+$/.test(key) ? key : null;
  if (segment === null) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? segment : `${path}.${segment}`;
}
