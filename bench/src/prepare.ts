/**
 * What the scenarios run: the Go reference harness and Go plugin (real
 * go-plugin v1.8.0, built from interop/go), our TS harness, and the TS hello
 * world plugin unbundled and bundled with packPlugin's bundler.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { bundlePlugin, packPlugin } from '@qplugin/quorum';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH = join(ROOT, 'bench');
export const CACHE = join(BENCH, 'dist', 'cache');
export const NODE = process.execPath;

export interface Peers {
  /** Go harness binary (interop/go/bench). */
  goHarness: string;
  /** Our TS harness: node + script. */
  tsHarness: string[];
  /** Plugin commands. */
  goPlugin: string[];
  tsPlugin: string[];
  tsPluginBundled: string[];
  /** Proposal (not shipped): CommonJS bundle started with a V8 code cache. */
  tsPluginCodeCache: string[];
  /** Before the light entry (dae2480): the unbundled plugin importing the @qplugin/quorum root. */
  tsPluginRootImport: string[];
  /** The startup-marks preload (scenario 2 breakdown). */
  marksPreload: string;
  goVersion: string;
  /** Versions of the Go modules the reference links (go list -m). */
  goModules: Record<string, string>;
}

function go(args: string[], cwd: string): string {
  return execFileSync('go', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export async function prepare(log: (line: string) => void): Promise<Peers> {
  if (spawnSync('go', ['version']).status !== 0) {
    throw new Error('the benchmark needs Go on PATH to build its reference (interop/go/bench)');
  }
  mkdirSync(CACHE, { recursive: true });
  log('building the Go reference harness (go-plugin v1.8.0) and plugin');
  const goHarness = join(CACHE, 'gobench');
  go(['build', '-trimpath', '-buildvcs=false', '-o', goHarness, '.'], join(ROOT, 'interop', 'go', 'bench'));
  execFileSync('bash', [join(ROOT, 'interop', 'go', 'build.sh'), 'v1.8.0'], { stdio: 'inherit' });
  const goPlugin = join(ROOT, 'interop', 'go', 'bin', 'v1.8.0', 'plugin');

  const entry = join(ROOT, 'examples', 'helloworld', 'dist', 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npx tsc -b\` first`);
  log('bundling the TS hello world plugin (bundlePlugin, minified)');
  const bundled = join(CACHE, 'helloworld.mjs');
  writeFileSync(bundled, await bundlePlugin(entry), { mode: 0o755 });

  log('packing the TS hello world with a V8 code cache (packPlugin codeCache) and the root-import variant');
  const codeCacheDir = join(CACHE, 'code-cache');
  rmSync(codeCacheDir, { recursive: true, force: true });
  const packed = await packPlugin({
    name: 'helloworld',
    version: '1.0.0',
    entry,
    outDir: codeCacheDir,
    codeCache: true,
  });
  execFileSync('unzip', ['-q', '-o', packed.zipPath, '-d', codeCacheDir]);
  const codeCache = join(codeCacheDir, packed.entrypoint);
  const rootImport = join(CACHE, 'root-import', 'main.mjs');
  mkdirSync(dirname(rootImport), { recursive: true });
  const main = readFileSync(entry, 'utf8');
  if (!main.includes("'@qplugin/quorum/plugin'"))
    throw new Error(`${entry} no longer imports @qplugin/quorum/plugin`);
  writeFileSync(
    rootImport,
    main
      .replace("'@qplugin/quorum/plugin'", "'@qplugin/quorum'")
      .replace("'./greeter.js'", JSON.stringify(join(dirname(entry), 'greeter.js'))),
  );

  return {
    goHarness,
    tsHarness: [NODE, join(BENCH, 'dist', 'ts-host.js')],
    goPlugin: [goPlugin],
    tsPlugin: [NODE, entry],
    tsPluginBundled: [NODE, bundled],
    tsPluginCodeCache: [NODE, codeCache],
    tsPluginRootImport: [NODE, rootImport],
    marksPreload: join(BENCH, 'dist', 'startup-marks.js'),
    goVersion: go(['version'], ROOT),
    goModules: Object.fromEntries(
      go(
        ['list', '-m', 'github.com/hashicorp/go-plugin', 'google.golang.org/grpc'],
        join(ROOT, 'interop', 'go', 'bench'),
      )
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    ),
  };
}
