/**
 * geth's `ReadMultiFormatConfig`: turns a provider's `config` into the
 * `rawConfiguration` bytes sent to the plugin's Init. It runs at every
 * start and reload, so a `file://` config picks up edits on reload.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { fail } from './fail.js';
import type { Where } from './fail.js';
import { goErrnoText, goPathError } from './fs-errors.js';
import { GoMarshalError, goMarshal } from './go-json-marshal.js';
import { goFilePath, goQueryGet, parseGoUrl } from './go-url.js';
import type { GoUrl } from './go-url.js';
import type { RawConfig } from './types.js';

export interface ResolveConfigOptions {
  /** Base for relative `file://` paths (geth: the process's working directory). Default: process.cwd(). */
  cwd?: string | undefined;
  /** Environment for `env://` (default: process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** For error messages: the settings file and JSON path of this config, e.g. `providers.helloworld.config`. */
  source?: string | undefined;
  path?: string | undefined;
}

const EMPTY = new Uint8Array(0);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

export async function resolveConfig(
  config: RawConfig | undefined,
  options: ResolveConfigOptions = {},
): Promise<Uint8Array> {
  const where: Where = { file: options.source, path: options.path };
  if (config === undefined || config === null) return EMPTY;
  if (typeof config === 'string') return resolveString(config, options, where);
  if (typeof config === 'number' || typeof config === 'boolean') {
    const goType = typeof config === 'number' ? 'float64' : 'bool';
    throw fail('SETTINGS_CONFIG', `unsupported type of config [${goType}]`, {
      where,
      found: `${typeof config} ${String(config)}`,
      expected: 'an object, an array, a string, a file:// or env:// URL, or null',
      fix: 'wrap the value in an object, e.g. {"value": ...}, or quote it as a string',
      details: { goType },
    });
  }
  try {
    return goMarshal(config);
  } catch (err) {
    if (!(err instanceof GoMarshalError)) throw err;
    throw fail('SETTINGS_CONFIG', err.message, {
      where,
      expected: 'JSON values only (objects, arrays, strings, finite numbers, booleans, null)',
    });
  }
}

/** A string is a file:// or env:// reference only if Go's url.Parse accepts it; otherwise it is sent as-is. */
async function resolveString(
  value: string,
  options: ResolveConfigOptions,
  where: Where,
): Promise<Uint8Array> {
  let url: GoUrl;
  try {
    url = parseGoUrl(value);
  } catch {
    return utf8(value);
  }
  if (url.scheme === 'file') return readConfigFile(goFilePath(url), options, where, value);
  if (url.scheme !== 'env') return utf8(value);
  const name = url.host;
  const env = options.env ?? process.env;
  const envValue = env[name];
  if (envValue === undefined) {
    throw fail('SETTINGS_CONFIG', `env variable ${name} not found`, {
      where,
      found: JSON.stringify(value),
      expected: `environment variable ${name} to be set`,
      fix: `export ${name}=... before starting, or change the config`,
      details: { variable: name },
    });
  }
  if (goQueryGet(url.rawQuery, 'type') === 'file') return readConfigFile(envValue, options, where, value);
  return utf8(envValue);
}

/** Reads the file Go's os.ReadFile would; errors carry Go's `open <path>: <reason>` text. */
async function readConfigFile(
  path: string,
  options: ResolveConfigOptions,
  where: Where,
  reference: string,
): Promise<Uint8Array> {
  const absolute = resolve(options.cwd ?? process.cwd(), path);
  try {
    // Go opens "" and fails; Node would resolve it to the cwd directory.
    if (path === '') throw Object.assign(new Error('empty path'), { code: 'ENOENT' });
    return new Uint8Array(await readFile(absolute));
  } catch (err) {
    throw fail('SETTINGS_CONFIG', goPathError('open', path, err), {
      where,
      found: `${JSON.stringify(reference)} (${absolute}: ${goErrnoText(err)})`,
      expected: 'a readable file',
      fix: `relative paths are resolved against the working directory ${options.cwd ?? process.cwd()} (file://./x is ./x)`,
      details: { configFile: absolute },
      cause: err,
    });
  }
}
