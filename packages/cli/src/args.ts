/**
 * Command-line parsing on node:util's parseArgs, with typed option specs that
 * also produce the `--help` text. Unknown options and missing values are
 * usage errors (exit code 2).
 */
import { parseArgs } from 'node:util';
import { messageOf } from '@qplugin/go-plugin/core/internal';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Shown in --help. */
  description: string;
  /** Placeholder for the value in --help, e.g. URI. */
  value?: string;
  default?: string | boolean;
  short?: string;
  multiple?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parse(argv: readonly string[], specs: OptionSpecs): Parsed {
  try {
    const options = Object.fromEntries(
      Object.entries(specs).map(([name, s]) => [
        name,
        {
          type: s.type,
          ...(s.short ? { short: s.short } : {}),
          ...(s.multiple ? { multiple: true } : {}),
          ...(s.default !== undefined ? { default: s.default } : {}),
        },
      ]),
    );
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new UsageError(messageOf(err));
  }
}

/** The options part of a --help text. */
export function describeOptions(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` ${s.value ?? 'VALUE'}` : ''}`;
    const def = s.default !== undefined && s.default !== false ? ` (default ${String(s.default)})` : '';
    return [flag, s.description + def] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length), 0) + 2;
  return rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`).join('\n');
}

export const str = (v: Parsed['values'][string]): string | undefined =>
  typeof v === 'string' ? v : undefined;
export const bool = (v: Parsed['values'][string]): boolean => v === true;
export const strs = (v: Parsed['values'][string]): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
