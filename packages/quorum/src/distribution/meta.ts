/**
 * plugin-meta.json at the workspace root. geth only requires `entrypoint`;
 * here the documented shape is enforced too: `name` and `version` must be the
 * ones the settings asked for (so a swapped zip cannot pass as another
 * plugin), `os`/`arch` must fit this machine when given, and `parameters` is
 * a list of strings. Unknown keys (gitCommit, …) are kept.
 */
import { lstat, readFile, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

import { QuorumError } from '../errors.js';
import type { PluginDefinition, Platform } from '../settings/types.js';
import { messageOf } from '@qplugin/go-plugin/core/internal';

export const PLUGIN_META_FILE = 'plugin-meta.json';
const MAX_META_BYTES = 1024 * 1024;
/** geth's isCleanEntryPoint: ASCII word characters, '-' and '.'. */
const CLEAN_ENTRYPOINT = /^[\w\-.]+$/;

export interface PluginMeta {
  name: string;
  version: string;
  entrypoint: string;
  parameters?: string[];
  os?: string;
  arch?: string;
  [key: string]: unknown;
}

export interface LoadedMeta {
  meta: PluginMeta;
  /** Absolute path of the entrypoint inside the workspace. */
  executable: string;
  /** `parameters`, passed as separate arguments (no shell). */
  args: string[];
}

function invalid(message: string, details: Record<string, unknown>, fix?: string): QuorumError {
  return new QuorumError('META_INVALID', message, { details, fix });
}

function entrypointError(message: string, details: Record<string, unknown>, fix: string): QuorumError {
  return new QuorumError('META_ENTRYPOINT', message, { details, fix });
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** JSON shape only; no file system or settings checks. */
export function parsePluginMeta(text: string, source = PLUGIN_META_FILE): PluginMeta {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw invalid(`${source} is not valid JSON: ${messageOf(cause)}`, { file: source });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${source} must hold a JSON object, found ${typeName(value)}`, { file: source });
  }
  const obj = value as Record<string, unknown>;
  for (const field of ['name', 'version']) {
    const v = obj[field];
    if (typeof v !== 'string' || v === '') {
      throw invalid(
        `${source}: "${field}" is required and must be a non-empty string, found ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
        { file: source, field, found: v },
        'Write name, version and entrypoint into plugin-meta.json, e.g. {"name":"my-plugin","version":"1.0.0","entrypoint":"my-plugin"}.',
      );
    }
  }
  const entrypoint = obj.entrypoint;
  if (entrypoint !== undefined && entrypoint !== null && typeof entrypoint !== 'string') {
    throw invalid(`${source}: "entrypoint" must be a string, found ${typeName(entrypoint)}`, {
      file: source,
      field: 'entrypoint',
      found: entrypoint,
    });
  }
  for (const field of ['os', 'arch']) {
    const v = obj[field];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw invalid(`${source}: "${field}" must be a string, found ${typeName(v)}`, {
        file: source,
        field,
        found: v,
      });
    }
  }
  const parameters = obj.parameters;
  if (parameters !== undefined && parameters !== null) {
    const bad = Array.isArray(parameters) ? parameters.findIndex((p) => typeof p !== 'string') : -1;
    if (!Array.isArray(parameters) || bad >= 0) {
      throw invalid(`${source}: "parameters" must be an array of strings`, {
        file: source,
        field: bad >= 0 ? `parameters[${bad}]` : 'parameters',
        found: bad >= 0 ? (parameters as unknown[])[bad] : parameters,
      });
    }
  }
  const meta: PluginMeta = {
    ...obj,
    name: obj.name as string,
    version: obj.version as string,
    entrypoint: (entrypoint as string | null | undefined) ?? '',
  };
  if (parameters === null) delete meta.parameters;
  if (obj.os === null) delete meta.os;
  if (obj.arch === null) delete meta.arch;
  return meta;
}

/** The settings definition and this platform must agree with the metadata. */
export function checkMetaMatches(meta: PluginMeta, definition: PluginDefinition, platform: Platform): void {
  const pairs: Array<[string, string | undefined, string]> = [
    ['name', meta.name, definition.name],
    ['version', meta.version, definition.version],
    ['os', meta.os, platform.os],
    ['arch', meta.arch, platform.arch],
  ];
  for (const [field, found, expected] of pairs) {
    if (found === undefined || found === expected) continue;
    const against = field === 'os' || field === 'arch' ? 'this platform' : 'the settings definition';
    throw invalid(
      `${PLUGIN_META_FILE} ${field} ${JSON.stringify(found)} does not match ${against} (${JSON.stringify(expected)})`,
      { file: PLUGIN_META_FILE, field, found, expected },
      against === 'this platform'
        ? `Install the ${platform.os}-${platform.arch} build of the plugin.`
        : 'The zip holds a different plugin or release than the settings ask for: fix the settings or get the right zip.',
    );
  }
}

async function checkEntrypoint(dir: string, entrypoint: string): Promise<string> {
  const fix =
    'Set "entrypoint" in plugin-meta.json to the name of an executable file at the root of the zip.';
  if (entrypoint === '') throw entrypointError('plugin-meta.json entry point not set', { entrypoint }, fix);
  if (!CLEAN_ENTRYPOINT.test(entrypoint) || entrypoint === '.' || entrypoint === '..') {
    throw entrypointError('entrypoint must be only alphanumeric value', { entrypoint }, fix);
  }
  const path = join(dir, entrypoint);
  let info;
  try {
    info = await lstat(path);
  } catch {
    throw entrypointError('entry point does not exist', { entrypoint, path }, fix);
  }
  if (info.isSymbolicLink() || !info.isFile()) {
    throw entrypointError(`entry point ${entrypoint} is not a regular file`, { entrypoint, path }, fix);
  }
  const real = await realpath(path);
  if (!real.startsWith(dir + sep)) {
    throw entrypointError(
      `entry point ${entrypoint} resolves outside the workspace`,
      { entrypoint, path, real },
      fix,
    );
  }
  if ((info.mode & 0o100) === 0) {
    throw entrypointError(
      `entry point ${entrypoint} is not executable`,
      { entrypoint, path, mode: `0o${(info.mode & 0o7777).toString(8)}` },
      'Set the exec bit in the zip: store the entrypoint with Unix mode 0100755 in its external attributes (creator OS Unix), e.g. `chmod +x` before `zip`, or yazl `mode: 0o100755`.',
    );
  }
  return path;
}

/** Reads and checks `<dir>/plugin-meta.json` and the entrypoint it names. */
export async function loadPluginMeta(
  workspace: string,
  definition: PluginDefinition,
  platform: Platform,
): Promise<LoadedMeta> {
  const dir = await realpath(workspace);
  const file = join(dir, PLUGIN_META_FILE);
  let info;
  try {
    info = await lstat(file);
  } catch {
    throw invalid(
      `open ${file}: no such file or directory`,
      { file },
      'plugin-meta.json must be at the root of the zip.',
    );
  }
  if (!info.isFile()) throw invalid(`${file} is not a regular file`, { file });
  if (info.size > MAX_META_BYTES)
    throw invalid(`${file} is larger than ${MAX_META_BYTES} bytes`, { file, size: info.size });
  const meta = parsePluginMeta(await readFile(file, 'utf8'));
  checkMetaMatches(meta, definition, platform);
  const executable = await checkEntrypoint(dir, meta.entrypoint);
  return { meta, executable, args: [...(meta.parameters ?? [])] };
}
