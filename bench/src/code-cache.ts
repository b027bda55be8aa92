/**
 * A proposal measured next to what ships (scenario 2): the hello world plugin
 * bundled as CommonJS and started through a small loader that compiles it
 * with a V8 code cache (vm.Script cachedData). Node 20 has no
 * module.enableCompileCache, and compiling the ~0.5 MB bundle is a large part
 * of the plugin's start-up. The cache is made by one real start (so it holds
 * the functions compiled lazily too), as a packer could do at pack time; V8
 * rejects it on another Node version or flags and the loader then compiles
 * normally.
 *
 * CommonJS because vm.Script runs scripts, and CommonJS cannot hold a
 * top-level await: the entry is the hello world main with `void serve(...)`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as esbuild from 'esbuild';

const ENTRY = (greeter: string): string => `import { serve, service } from '@qplugin/go-plugin/plugin';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';
import { Greeter } from ${JSON.stringify(greeter)};
const greeter = new Greeter();
void serve({
  handshake: QUORUM_HANDSHAKE,
  services: ({ logger }) => [
    service(PluginInitializer, {
      init(req) {
        greeter.init(req.rawConfiguration);
        logger.info('initialized', { hostIdentity: req.hostIdentity });
        return {};
      },
    }),
    service(PluginGreeting, { greeting: (req) => ({ msg: greeter.greet(req.msg) }) }),
  ],
});
`;

/** Compiles bundle.js with bundle.js.cache when V8 accepts it; BENCH_MAKE_CACHE writes the cache at exit. */
const LOADER = `#!/usr/bin/env node
const fs = require('node:fs'), vm = require('node:vm'), path = require('node:path');
const file = path.join(__dirname, 'bundle.js');
let cachedData;
try { cachedData = fs.readFileSync(file + '.cache'); } catch {}
const script = new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file, cachedData });
if (process.env.BENCH_MAKE_CACHE) process.on('exit', () => fs.writeFileSync(file + '.cache', script.createCachedData()));
script.runInThisContext()(exports, require, module, file, __dirname);
`;

/** Builds <dir>/{bundle.js, bundle.js.cache, loader.cjs}; returns the loader's path. */
export async function buildCodeCachePlugin(root: string, dir: string, goHarness: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'entry.mjs');
  writeFileSync(entry, ENTRY(join(root, 'examples', 'helloworld', 'dist', 'src', 'greeter.js')));
  const built = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    write: false,
    nodePaths: [join(root, 'node_modules')],
    logLevel: 'silent',
  });
  const code = built.outputFiles[0]!.text;
  // A function expression, so the loader can hand it CommonJS's arguments.
  writeFileSync(
    join(dir, 'bundle.js'),
    `(function (exports, require, module, __filename, __dirname) {${code}\n})`,
  );
  const loader = join(dir, 'loader.cjs');
  writeFileSync(loader, LOADER, { mode: 0o755 });
  const made = spawnSync(goHarness, ['start', '-n', '1', '--', process.execPath, loader], {
    env: { ...process.env, BENCH_MAKE_CACHE: '1' },
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`making the code cache failed: ${made.stderr}`);
  if (readFileSync(join(dir, 'bundle.js.cache')).length === 0) throw new Error('empty code cache');
  return loader;
}
