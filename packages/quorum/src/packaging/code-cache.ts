/**
 * Faster plugin start-up: a CommonJS bundle, a V8 code cache made for it at
 * pack time, and a small loader as the entrypoint that compiles the bundle
 * with the cache. Compiling and evaluating the ~0.5 MB bundle is most of a
 * bundled plugin's start-up after Node's own (bench S2); Node 20 has no
 * module.enableCompileCache. The cache lives in the zip, so it is verified
 * with everything else; V8 rejects it on another Node version or other flags
 * and the loader then compiles normally. V8's cache bytes differ between
 * runs, so packs with a code cache are not byte-reproducible.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { QuorumError } from '../errors.js';

/** Entrypoint: compiles `<base>.bundle.js` with `<base>.bundle.js.cache` when V8 accepts it. */
export function loaderSource(bundleName: string): string {
  return `#!/usr/bin/env node
// qplugin loader: runs ${bundleName} with its V8 code cache (made by qplugin pack --code-cache).
'use strict';
const fs = require('node:fs'), vm = require('node:vm'), path = require('node:path');
const file = path.join(__dirname, ${JSON.stringify(bundleName)});
let cachedData;
try { cachedData = fs.readFileSync(file + '.cache'); } catch {}
// The script's name is in the cache: the same relative name at pack time and at every start.
const script = new vm.Script(fs.readFileSync(file, 'utf8'), { filename: ${JSON.stringify(bundleName)}, cachedData });
script.runInThisContext()(exports, require, module, file, __dirname);
// Pack time: the module code has run (and been compiled); keep that, and stop before serving.
const out = process.env.QPLUGIN_WRITE_CODE_CACHE;
if (out) { fs.writeFileSync(out, script.createCachedData()); process.exit(0); }
`;
}

export interface CodeCachePlugin {
  /** The loader (the zip's entrypoint, executable). */
  loader: Buffer;
  /** The CommonJS bundle wrapped as a function expression. */
  bundle: Buffer;
  cache: Buffer;
}

async function bundleCjs(entry: string, minify: boolean): Promise<string> {
  const esbuild = await import('esbuild');
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      minify,
      legalComments: 'none',
      logLevel: 'silent',
    });
    // A function expression: the loader hands it CommonJS's module arguments.
    // The entry's shebang line would be a syntax error inside the wrapper.
    const code = result.outputFiles[0]!.text.replace(/^#!.*\n/, '');
    return `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
  } catch (err) {
    const message = (err as Error).message;
    throw new QuorumError('PACK_BUNDLE', `bundling ${entry} as CommonJS failed: ${message}`, {
      fix: /top-level await/i.test(message)
        ? 'A code-cached bundle is CommonJS, which has no top-level await: call `void serve(...)` instead of `await serve(...)` (serve exits the process itself on failure), or pack without --code-cache.'
        : 'The entry must be a runnable plugin module and its imports must resolve.',
      details: { entry },
      cause: err,
    });
  }
}

/**
 * Runs the loader once in cache-writing mode: the bundle's module code runs
 * (so what it compiles is in the cache), then the loader writes the cache and
 * exits before the plugin gets to serve.
 */
async function makeCache(dir: string, loaderName: string): Promise<Buffer> {
  const out = join(dir, 'cache.bin');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLUGIN_')));
  await new Promise<void>((resolve, reject) => {
    // --predictable: the same cache bytes on every run (V8 accepts the cache without the flag).
    const child = spawn(process.execPath, ['--predictable', join(dir, loaderName)], {
      cwd: dir,
      env: { ...env, QPLUGIN_WRITE_CODE_CACHE: out },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`exit ${c}: ${stderr.slice(-500)}`))));
  }).catch((err: unknown) => {
    throw new QuorumError('PACK_BUNDLE', `making the V8 code cache failed: ${(err as Error).message}`, {
      fix: 'Pack without --code-cache, or check that the bundle loads with this Node.js.',
      cause: err,
    });
  });
  return readFile(out);
}

export async function buildCodeCachePlugin(
  entry: string,
  baseName: string,
  minify = true,
): Promise<CodeCachePlugin> {
  const bundleName = `${baseName}.bundle.js`;
  const bundle = Buffer.from(await bundleCjs(entry, minify));
  const loader = Buffer.from(loaderSource(bundleName));
  const dir = await mkdtemp(join(tmpdir(), 'qplugin-codecache-'));
  try {
    await writeFile(join(dir, bundleName), bundle);
    await writeFile(join(dir, `${baseName}.cjs`), loader);
    const cache = await makeCache(dir, `${baseName}.cjs`);
    return { loader, bundle, cache };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
