/**
 * TOML settings (`--plugins file://plugins.toml`, keys spelled as in geth's
 * `[Node.Plugins]`: BaseDir, Central, Providers, ...) parsed into the same
 * tree as JSON, so both formats share one decoder.
 */
import { parse, TomlDate, TomlError } from 'smol-toml';

import type { ArrayNode, ObjectNode, TreeNode } from './value-tree.js';

/** A TOML syntax error with its 1-based position. */
export class TomlSyntaxError extends Error {
  override readonly name = 'TomlSyntaxError';
  constructor(
    message: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly fix?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * Deepest tree accepted from TOML. smol-toml caps arrays and inline tables at
 * 1,000 levels but not dotted keys or table headers (`[a.a.a...]`); the JSON
 * limit (Go's 10,000) applies to those too, so both formats nest alike.
 */
export const MAX_TOML_DEPTH = 10000;

export function parseTomlTree(text: string): TreeNode {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      // smol-toml's message repeats a code excerpt after the first line; keep the sentence.
      const first = err.message.split('\n', 1)[0] ?? err.message;
      throw new TomlSyntaxError(first, err.line, err.column);
    }
    throw err;
  }
  return toTree(doc);
}

function scalar(value: unknown): TreeNode | undefined {
  if (value instanceof TomlDate) return { kind: 'datetime', value: value.toISOString() };
  switch (typeof value) {
    case 'string':
      return { kind: 'string', value };
    case 'number':
      return { kind: 'number', value, raw: String(value) };
    case 'bigint':
      return { kind: 'number', value: Number(value), raw: value.toString() };
    case 'boolean':
      return { kind: 'bool', value };
    case 'object':
      return value === null ? { kind: 'null' } : undefined;
  }
  return { kind: 'null' };
}

/** Converts parse()'s result with an explicit stack: tables nest as deep as the dotted keys go. */
function toTree(root: unknown): TreeNode {
  const top = scalar(root);
  if (top !== undefined) return top;
  interface Pending {
    node: ObjectNode | ArrayNode;
    keys: readonly string[] | undefined;
    values: readonly unknown[];
    next: number;
  }
  const open = (value: object, depth: number): Pending => {
    if (depth > MAX_TOML_DEPTH) {
      throw new TomlSyntaxError(
        `document nests deeper than ${MAX_TOML_DEPTH} levels`,
        undefined,
        undefined,
        `keep tables, dotted keys and arrays within ${MAX_TOML_DEPTH} levels (the JSON limit, Go's)`,
        { maxDepth: MAX_TOML_DEPTH },
      );
    }
    if (Array.isArray(value))
      return { node: { kind: 'array', items: [] }, keys: undefined, values: value, next: 0 };
    return {
      node: { kind: 'object', entries: [] },
      keys: Object.keys(value),
      values: Object.values(value),
      next: 0,
    };
  };
  const stack: Pending[] = [open(root as object, 1)];
  for (;;) {
    const pending = stack.at(-1)!;
    if (pending.next < pending.values.length) {
      const i = pending.next++;
      const value = pending.values[i];
      const node = scalar(value);
      if (node === undefined) {
        const child = open(value as object, stack.length + 1);
        add(pending, i, child.node);
        stack.push(child);
      } else add(pending, i, node);
      continue;
    }
    stack.pop();
    if (stack.length === 0) return pending.node;
  }

  function add(pending: Pending, i: number, node: TreeNode): void {
    if (pending.node.kind === 'array') pending.node.items.push(node);
    else pending.node.entries.push({ key: pending.keys![i]!, value: node });
  }
}
