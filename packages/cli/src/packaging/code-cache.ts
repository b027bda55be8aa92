/**
 * Faster plugin start-up: a CommonJS bundle, a V8 code cache made for it at
 * pack time, and a small loader as the entrypoint that compiles the bundle
 * with the cache. The shipped cache lives in the zip, so it is verified with
 * everything else, and it is byte-reproducible (made under V8's
 * --predictable, which V8 still accepts without the flag). V8 accepts a cache
 * only from the same Node.js version (and flags): on any other Node the
 * loader makes its own cache at the first start, outside the zip, in a
 * private per-user directory, and uses it from the second start on.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { QuorumError } from '@qplugin/quorum/core/internal';
import { messageOf } from '@qplugin/go-plugin/core/internal';
import { buildCommonJs } from './cjs-bundle.js';
import type { CommonJsBuild } from './cjs-bundle.js';
import { launchHeader } from './node-flags.js';

/**
 * Entrypoint: compiles `<base>.bundle.js` with the shipped cache on the Node
 * that packed it, else with this Node's own cache from the cache directory
 * (written after the first start). The directory: $QPLUGIN_CODE_CACHE_DIR
 * (`off` disables it), else $XDG_CACHE_HOME/qplugin/code-cache or
 * ~/.cache/qplugin/code-cache; used only if it is ours and not writable by
 * group or others (V8 checks a cache against the source, but does not
 * authenticate it). Files are named by the bundle's hash, the Node version
 * and the architecture, so a new plugin version or Node never reads an old
 * one.
 */
export function loaderSource(
  bundleName: string,
  bundleHash: string,
  packedWith: string,
  nodeFlags: readonly string[] = [],
): string {
  const name = JSON.stringify(bundleName);
  return `${launchHeader(nodeFlags)}// qplugin loader: runs ${bundleName} with a V8 code cache (made by qplugin pack).
'use strict';
const fs = require('node:fs'), vm = require('node:vm'), path = require('node:path'), os = require('node:os');
const file = path.join(__dirname, ${name});
const read = (f) => { try { return fs.readFileSync(f); } catch { return undefined; } };
function privateCache() {
  let dir = process.env.QPLUGIN_CODE_CACHE_DIR;
  if (dir === 'off') return undefined;
  if (!dir) {
    const base = process.env.XDG_CACHE_HOME || (os.homedir() && path.join(os.homedir(), '.cache'));
    if (!base) return undefined;
    dir = path.join(base, 'qplugin', 'code-cache');
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    if ((process.getuid && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) return undefined;
  } catch { return undefined; }
  return path.join(dir, ${JSON.stringify(bundleHash)} + '-' + process.version + '-' + process.arch + '.cache');
}
const shipped = process.version + '-' + process.arch === ${JSON.stringify(packedWith)};
const local = shipped ? undefined : privateCache();
const cachedData = shipped ? read(file + '.cache') : local && read(local);
// The script's name is in the cache: the same relative name at pack time and at every start.
const script = new vm.Script(fs.readFileSync(file, 'utf8'), { filename: ${name}, cachedData });
script.runInThisContext()(exports, require, module, file, __dirname);
// Pack time: the module code has run (and been compiled); keep that, and stop before serving.
const out = process.env.QPLUGIN_WRITE_CODE_CACHE;
if (out) { fs.writeFileSync(out, script.createCachedData()); process.exit(0); }
if (local && script.cachedDataRejected !== false) {
  // After start-up, so the functions it ran are in the cache and the handshake is not delayed.
  setTimeout(() => {
    try {
      const tmp = local + '.' + process.pid + '.tmp';
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(tmp, local);
    } catch {}
  }, Number(process.env.QPLUGIN_CODE_CACHE_WRITE_MS ?? 2000)).unref();
}
`;
}

export interface CodeCachePlugin {
  /** The loader (the zip's entrypoint, executable). */
  loader: Buffer;
  /** The CommonJS bundle wrapped as a function expression. */
  bundle: Buffer;
  cache: Buffer;
}

/**
 * The entry as a CommonJS bundle wrapped as a function expression (the
 * loader hands it CommonJS's module arguments), or why it cannot be one
 * (cjs-bundle.ts); the default pack then makes an ES module bundle.
 */
export async function commonJsBundle(entry: string, minify: boolean): Promise<CommonJsBuild> {
  const built = await buildCommonJs(entry, { target: 'node20', minify });
  if (!('code' in built)) return built;
  return { code: `(function (exports, require, module, __filename, __dirname) {${built.code}\n})` };
}

/** commonJsBundle, for a caller that asked for the code cache: an obstacle is an error. */
export async function requireCommonJsBundle(entry: string, minify: boolean): Promise<string> {
  const bundle = await commonJsBundle(entry, minify);
  if ('code' in bundle) return bundle.code;
  throw new QuorumError(
    'PACK_BUNDLE',
    `${entry} cannot be a code-cached (CommonJS) bundle: ${bundle.obstacle}`,
    {
      fix:
        bundle.kind === 'top-level await'
          ? 'Call `void serve(...)` instead of `await serve(...)` (serve exits the process itself on failure), or pack without --code-cache (an ES module bundle).'
          : 'Use __dirname/__filename or process.argv instead of import.meta, or pack without --code-cache (an ES module bundle).',
      details: { entry },
    },
  );
}

/**
 * Runs the loader once in cache-writing mode: the bundle's module code runs
 * (so what it compiles is in the cache), then the loader writes the cache and
 * exits before the plugin gets to serve.
 */
async function makeCache(dir: string, loaderName: string, nodeFlags: readonly string[]): Promise<Buffer> {
  const out = join(dir, 'cache.bin');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLUGIN_')));
  await new Promise<void>((resolve, reject) => {
    // --predictable: the same cache bytes on every run (V8 accepts the cache without the flag).
    // The plugin's own flags too: Node 20's V8 rejects a cache made under other heap flags.
    const child = spawn(process.execPath, ['--predictable', ...nodeFlags, join(dir, loaderName)], {
      cwd: dir,
      env: { ...env, QPLUGIN_WRITE_CODE_CACHE: out },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`exit ${c}: ${stderr.slice(-500)}`))));
  }).catch((err: unknown) => {
    throw new QuorumError('PACK_BUNDLE', `making the V8 code cache failed: ${messageOf(err)}`, {
      fix: 'Pack without --code-cache, or check that the bundle loads with this Node.js.',
      cause: err,
    });
  });
  return readFile(out);
}

/** The loader, the bundle and its cache, from a CommonJS bundle (commonJsBundle's code). */
export async function buildCodeCachePlugin(
  bundleCode: string,
  baseName: string,
  nodeFlags: readonly string[] = [],
): Promise<CodeCachePlugin> {
  const bundleName = `${baseName}.bundle.js`;
  const bundle = Buffer.from(bundleCode);
  const hash = createHash('sha256').update(bundle).digest('hex').slice(0, 32);
  // makeCache runs this Node: the shipped cache is for its version and architecture.
  const loader = Buffer.from(loaderSource(bundleName, hash, `${process.version}-${process.arch}`, nodeFlags));
  const dir = await mkdtemp(join(tmpdir(), 'qplugin-codecache-'));
  try {
    await writeFile(join(dir, bundleName), bundle);
    await writeFile(join(dir, `${baseName}.cjs`), loader);
    const cache = await makeCache(dir, `${baseName}.cjs`, nodeFlags);
    return { loader, bundle, cache };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
