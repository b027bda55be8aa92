/**
 * Shared machinery for mapping a parsed settings tree onto Go structs the
 * way encoding/json does: case-insensitive field matching, ignored (but
 * reported) unknown keys, and Go's `cannot unmarshal` type errors.
 */
import type { QuorumError } from '../errors.js';
import { fail } from './fail.js';
import type { Where } from './fail.js';
import { describeNode, goValueKind, joinPath, LineIndex, shortText } from './value-tree.js';
import type { Entry, ObjectNode, TreeNode } from './value-tree.js';

export type SettingsFormat = 'json' | 'toml';

export class DecodeContext {
  readonly warnings: string[] = [];
  /** Source text, to turn JSON offsets into line:column. */
  private readonly lines: LineIndex;

  constructor(
    readonly format: SettingsFormat,
    readonly file: string,
    text: string,
  ) {
    this.lines = new LineIndex(text);
  }

  where(at: number | undefined, path: string): Where {
    if (at === undefined || this.format !== 'json') return { file: this.file, path };
    return { file: this.file, path, ...this.lines.locate(at) };
  }

  /** Records a warning prefixed with `file[:line:column]:` like a compiler diagnostic. */
  warn(at: number | undefined, message: string): void {
    const where = this.where(at, '');
    const position = where.line === undefined ? '' : `:${where.line}:${where.column ?? 1}`;
    this.warnings.push(`${this.file}${position}: ${message}`);
  }

  /**
   * Go's UnmarshalTypeError, wrapped as geth wraps decoding errors:
   * `plugins: unable to parse settings due to json: cannot unmarshal number
   * into Go struct field PluginDefinition.providers.version of type plugin.Version`.
   */
  typeError(
    node: TreeNode,
    goField: string | undefined,
    goType: string,
    path: string,
    expected: string,
    options: { fix?: string | undefined; kind?: string } = {},
  ): QuorumError {
    const target = goField === undefined ? 'Go value' : `Go struct field ${goField}`;
    const kind = options.kind ?? goValueKind(node);
    const text = `${this.format}: cannot unmarshal ${kind} into ${target} of type ${goType}`;
    return fail('SETTINGS_PARSE', `plugins: unable to parse settings due to ${text}`, {
      where: this.where(node.at, path),
      found: describeNode(node),
      expected,
      fix: options.fix,
      details: { goError: text, format: this.format },
    });
  }

  /** geth's baseDir decoder rejects any token that is not a JSON string with exactly `not a string`. */
  failNotAString(node: TreeNode, path: string): QuorumError {
    return fail('SETTINGS_PARSE', 'plugins: unable to parse settings due to not a string', {
      where: this.where(node.at, path),
      found: describeNode(node),
      expected: 'a string',
      details: { goError: 'not a string', format: this.format },
    });
  }

  /**
   * Go decodes JSON numbers in `config` as float64 and rejects those out of
   * its range (e.g. 1e400). Walks the tree with its own stack (a config nests
   * up to 10,000 levels) and builds the JSON path only for the culprit.
   */
  checkFiniteNumbers(root: TreeNode, goField: string, path: string): void {
    if (this.format !== 'json') return;
    interface Visit {
      node: TreeNode;
      parent?: Visit;
      segment?: string | number;
    }
    const pathOf = (visit: Visit): string => {
      const segments: (string | number)[] = [];
      for (let v: Visit | undefined = visit; v?.segment !== undefined; v = v.parent) segments.push(v.segment);
      return segments.reduceRight<string>((p, segment) => joinPath(p, segment), path);
    };
    const stack: Visit[] = [{ node: root }];
    for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
      const node = visit.node;
      if (node.kind === 'number' && !Number.isFinite(node.value)) {
        throw this.typeError(node, goField, 'float64', pathOf(visit), 'a number within float64 range', {
          kind: `number ${shortText(node.raw)}`,
        });
      }
      // Pushed in reverse so the first bad number in document order is reported, as Go does.
      if (node.kind === 'array') {
        for (let i = node.items.length - 1; i >= 0; i--)
          stack.push({ node: node.items[i]!, parent: visit, segment: i });
      }
      if (node.kind === 'object') {
        for (let i = node.entries.length - 1; i >= 0; i--) {
          const entry = node.entries[i]!;
          stack.push({ node: entry.value, parent: visit, segment: entry.key });
        }
      }
    }
  }

  /**
   * Visits the entries of an object whose keys name struct fields. Go matches
   * a key to a field exactly, else case-insensitively; unknown keys are
   * ignored by Go and reported here as warnings (typos are otherwise silent).
   */
  fields<F extends string>(
    node: ObjectNode,
    fields: readonly F[],
    path: string,
    visit: (field: F, entry: Entry, path: string) => void,
  ): void {
    const seen = new Map<F, string>();
    for (const entry of node.entries) {
      const entryPath = joinPath(path, entry.key);
      const field = matchField(entry.key, fields);
      if (field === undefined) {
        const hint = suggest(entry.key, fields);
        this.warn(
          entry.keyAt,
          `unknown key ${JSON.stringify(shortText(entry.key))}${path === '' ? '' : ` in ${path}`} is ignored` +
            (hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`),
        );
        continue;
      }
      const earlier = seen.get(field);
      if (earlier !== undefined) {
        this.warn(
          entry.keyAt,
          `key ${JSON.stringify(shortText(entry.key))} at ${shortText(entryPath)} sets ${field} again (after ${JSON.stringify(shortText(earlier))}); ` +
            'both are applied in order, as Go does',
        );
      }
      seen.set(field, entry.key);
      visit(field, entry, entryPath);
    }
  }
}

/** encoding/json's rule: an exact match wins, otherwise the first case-insensitive one. */
export function matchField<F extends string>(key: string, fields: readonly F[]): F | undefined {
  const exact = fields.find((field) => field === key);
  if (exact !== undefined) return exact;
  const folded = key.toLowerCase();
  return fields.find((field) => field.toLowerCase() === folded);
}

/** The closest known field within two edits, to turn a silent typo into a hint. */
function suggest(key: string, fields: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const field of fields) {
    // The length difference bounds the distance from below: a long key costs nothing.
    if (Math.abs(key.length - field.length) >= bestDistance) continue;
    const distance = editDistance(key.toLowerCase(), field.toLowerCase());
    if (distance < bestDistance) {
      best = field;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
