/**
 * geth's plugin base directory: baseDir from the settings (`env://VAR`
 * resolved, unset means empty), else `<datadir>/plugins`; created with
 * parents (0755) if missing and made absolute.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import type { DecodeContext } from './decode-context.js';
import type { DecodedValue } from './decode.js';
import { fail } from './fail.js';
import { goErrnoText, isErrno } from './fs-errors.js';
import { parseGoUrl } from './go-url.js';
import { shortText } from './value-tree.js';

export interface BaseDirOptions {
  datadir?: string | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

const TEXT = 'plugins: unable to resolve plugin base dir due to';

export async function resolveBaseDir(
  decoded: DecodedValue<string> | undefined,
  options: BaseDirOptions,
  ctx: DecodeContext,
): Promise<string> {
  let dir = decoded === undefined ? '' : expandEnv(decoded, options.env, ctx);
  if (dir === '') {
    if (options.datadir === undefined || options.datadir === '') {
      throw fail('SETTINGS_BASE_DIR', `${TEXT} baseDir is empty and no datadir was given`, {
        where: { file: ctx.file, path: decoded?.path ?? 'baseDir' },
        found: decoded === undefined ? 'no baseDir' : 'an empty baseDir',
        expected: 'a baseDir in the settings, or a datadir to default to <datadir>/plugins',
        fix: 'set "baseDir" in the settings, or pass the node data directory (geth: --datadir)',
      });
    }
    dir = join(options.datadir, 'plugins');
  }
  const absolute = resolve(options.cwd, dir);
  await ensureDirectory(absolute, ctx.file, decoded?.path ?? 'baseDir');
  return absolute;
}

/** EnvironmentAwaredValue: a value that parses as `env://NAME` is replaced by $NAME ('' when unset). */
function expandEnv(decoded: DecodedValue<string>, env: NodeJS.ProcessEnv, ctx: DecodeContext): string {
  let url;
  try {
    url = parseGoUrl(decoded.value);
  } catch {
    return decoded.value;
  }
  if (url.scheme !== 'env') return decoded.value;
  const value = env[url.host];
  if (value === undefined) {
    ctx.warn(
      decoded.node.at,
      `baseDir ${shortText(decoded.value)}: ${shortText(url.host)} is not set; using the default <datadir>/plugins`,
    );
  }
  return value ?? '';
}

async function ensureDirectory(dir: string, file: string, path: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    if (!(await stat(dir)).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    // Go's MkdirAll names the component that is not a directory.
    const culprit =
      isErrno(err, 'ENOTDIR') || isErrno(err, 'EEXIST') ? await firstNonDirectory(dir) : undefined;
    const reason = culprit === undefined ? goErrnoText(err) : 'not a directory';
    const failedPath = shortText(culprit ?? dir);
    throw fail('SETTINGS_BASE_DIR', `${TEXT} mkdir ${failedPath}: ${reason}`, {
      where: { file, path },
      found: `${failedPath} (${reason})`,
      expected: 'a directory that exists or can be created',
      fix: 'point baseDir at a writable directory, or remove the file in its way',
      details: { baseDir: dir },
      cause: err,
    });
  }
}

/** The deepest existing ancestor-or-self of `dir` when it is not a directory. */
async function firstNonDirectory(dir: string): Promise<string | undefined> {
  for (let current = dir; ; current = dirname(current)) {
    try {
      return (await stat(current)).isDirectory() ? undefined : current;
    } catch {
      if (dirname(current) === current) return undefined;
    }
  }
}
