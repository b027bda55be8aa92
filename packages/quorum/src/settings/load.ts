/**
 * `loadSettings`: geth's `--plugins <uri>` handling end to end: URI rules,
 * JSON (or TOML by extension) decoding with Go's rules, validation, central
 * defaults and the base directory.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

import { resolveBaseDir } from './base-dir.js';
import { DecodeContext } from './decode-context.js';
import type { SettingsFormat } from './decode-context.js';
import { decodeSettings } from './decode.js';
import { withCentralDefaults } from './defaults.js';
import { fail } from './fail.js';
import { goErrnoText, goPathError, isErrno } from './fs-errors.js';
import { JsonSyntaxError, parseFirstJsonValue } from './go-json-parse.js';
import { parseTomlTree, TomlSyntaxError } from './toml-tree.js';
import type { Settings } from './types.js';
import { settingsLocation } from './uri.js';
import { validateProviders, validateTemplates } from './validate.js';
import { lineColumn } from './value-tree.js';
import type { TreeNode } from './value-tree.js';

export interface LoadSettingsOptions {
  /**
   * The node's data directory; baseDir defaults to `<datadir>/plugins`.
   * Required when the settings leave baseDir empty (geth always has one).
   */
  datadir?: string | undefined;
  /** Working directory for relative paths (default: process.cwd()). */
  cwd?: string | undefined;
  /** Environment for `env://` baseDir (default: process.env). */
  env?: NodeJS.ProcessEnv | undefined;
}

const PARSE_TEXT = 'plugins: unable to parse settings due to';

/**
 * Reads and validates the settings named by a `--plugins` URI. Decoding
 * warnings (unknown keys, text after the JSON value, ...) are returned in
 * `settings.warnings`; nothing is created on disk unless all checks pass.
 */
export async function loadSettings(uri: string, options: LoadSettingsOptions = {}): Promise<Settings> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const location = settingsLocation(uri, cwd);
  const file = location.absolute;
  const text = await readSettingsFile(location.path, file, cwd);
  const format: SettingsFormat = extname(file).toLowerCase() === '.toml' ? 'toml' : 'json';
  const ctx = new DecodeContext(format, file, text);
  const decoded = decodeSettings(parseDocument(text, ctx), ctx);
  const providers = validateProviders(decoded.providers, ctx);
  const central = withCentralDefaults(decoded.central);
  validateTemplates(central, ctx);
  const baseDir = await resolveBaseDir(decoded.baseDir, { datadir: options.datadir, cwd, env }, ctx);
  return { baseDir, central, providers, source: file, warnings: ctx.warnings };
}

async function readSettingsFile(goPath: string, file: string, cwd: string): Promise<string> {
  try {
    // Go opens "" (from `file://`) and fails; Node would resolve it to the cwd.
    if (goPath === '') throw Object.assign(new Error('empty path'), { code: 'ENOENT' });
    return await readFile(file, 'utf8');
  } catch (err) {
    // Go opens a directory fine and fails in the decoder's read, hence geth's parse wording.
    const stage = isErrno(err, 'EISDIR') ? PARSE_TEXT : 'plugins: unable to create reader due to';
    throw fail('SETTINGS_READ', `${stage} ${goPathError('open', goPath, err)}`, {
      where: { file: goPath === '' ? '(empty path)' : file },
      found: goErrnoText(err),
      expected: 'a readable settings file',
      fix: `relative file:// URLs are resolved against the working directory ${cwd}; use file:///absolute/path to be explicit`,
      cause: err,
    });
  }
}

function parseDocument(text: string, ctx: DecodeContext): TreeNode {
  if (ctx.format === 'toml') {
    try {
      return parseTomlTree(text);
    } catch (err) {
      if (!(err instanceof TomlSyntaxError)) throw err;
      throw fail('SETTINGS_PARSE', `${PARSE_TEXT} ${err.message}`, {
        where: { file: ctx.file, line: err.line, column: err.column },
        expected: 'a valid TOML document',
        fix: err.fix,
        details: { format: 'toml', ...err.details },
      });
    }
  }
  try {
    const first = parseFirstJsonValue(text);
    if (first.trailing !== '') {
      const shown = first.trailing.length > 40 ? `${first.trailing.slice(0, 40)}...` : first.trailing;
      const at = text.indexOf(first.trailing.charAt(0), first.end);
      ctx.warn(at, `text after the first JSON value is ignored (as geth does): ${JSON.stringify(shown)}`);
    }
    return first.value;
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw fail('SETTINGS_PARSE', `${PARSE_TEXT} ${err.message}`, {
      where: { file: ctx.file, path: err.path === '' ? undefined : err.path, ...lineColumn(text, err.at) },
      expected: 'a valid JSON document',
      fix: text.startsWith('\ufeff') ? 'remove the UTF-8 byte order mark; geth does not accept it' : err.fix,
      details: { format: 'json', goError: err.message, offset: err.at, ...err.details },
    });
  }
}
