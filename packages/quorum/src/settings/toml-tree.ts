/**
 * TOML settings (`--plugins file://plugins.toml`, keys spelled as in geth's
 * `[Node.Plugins]`: BaseDir, Central, Providers, ...) parsed into the same
 * tree as JSON, so both formats share one decoder.
 */
import { parse, TomlDate, TomlError } from 'smol-toml';

import type { TreeNode } from './value-tree.js';

/** A TOML syntax error with its 1-based position. */
export class TomlSyntaxError extends Error {
  override readonly name = 'TomlSyntaxError';
  constructor(
    message: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
  ) {
    super(message);
  }
}

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

function toTree(value: unknown): TreeNode {
  if (value instanceof TomlDate) return { kind: 'datetime', value: value.toISOString() };
  if (Array.isArray(value)) return { kind: 'array', items: value.map(toTree) };
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
      if (value !== null) {
        return {
          kind: 'object',
          entries: Object.entries(value).map(([key, item]) => ({ key, value: toTree(item) })),
        };
      }
  }
  return { kind: 'null' };
}
