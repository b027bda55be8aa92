/**
 * Builds the settings layer's errors: geth's text first (so logs and tests
 * can match upstream), then where (file, line:column, JSON path) and what was
 * found versus expected, repeated in `details` for programs.
 */
import { QuorumError } from '../errors.js';
import type { QuorumErrorCode } from '../errors.js';
import { shortText } from './value-tree.js';

export interface Where {
  /** Settings file (absolute path) or another source such as an env var. */
  file?: string | undefined;
  /** JSON path, e.g. `providers.helloworld.version`. */
  path?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
}

export interface FailOptions {
  where?: Where | undefined;
  found?: string | undefined;
  expected?: string | undefined;
  fix?: string | undefined;
  details?: Record<string, unknown> | undefined;
  cause?: unknown;
}

/** `file:line:column` and the JSON path, as one readable location. */
export function formatWhere(where: Where | undefined): string {
  if (where === undefined) return '';
  let file = shortText(where.file ?? '');
  if (file !== '' && where.line !== undefined) {
    file += `:${where.line}${where.column === undefined ? '' : `:${where.column}`}`;
  }
  const path = where.path ? `at ${shortText(where.path)}` : '';
  return [file, path].filter((part) => part !== '').join(' ');
}

export function fail(code: QuorumErrorCode, text: string, options: FailOptions = {}): QuorumError {
  const { where, found, expected } = options;
  const parts: string[] = [];
  const location = formatWhere(where);
  if (location !== '') parts.push(location);
  const problem = [
    found === undefined ? '' : `found ${shortText(found)}`,
    expected === undefined ? '' : `expected ${expected}`,
  ]
    .filter((part) => part !== '')
    .join(', ');
  if (problem !== '') parts.push(problem);
  const message = parts.length === 0 ? text : `${text} (${parts.join(': ')})`;
  const details: Record<string, unknown> = { ...options.details };
  if (where?.file !== undefined) details['file'] = where.file;
  if (where?.path) details['path'] = where.path;
  if (where?.line !== undefined) details['line'] = where.line;
  if (where?.column !== undefined) details['column'] = where.column;
  if (found !== undefined) details['found'] = found;
  if (expected !== undefined) details['expected'] = expected;
  return new QuorumError(code, message, {
    ...(options.fix === undefined ? {} : { fix: options.fix }),
    details,
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}
