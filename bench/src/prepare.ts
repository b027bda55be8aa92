/**
 * What the scenarios run: the Go references (go-plugin v1.8.0 harness and
 * plugin; the S7 gateway with go-plugin v1.2.2 and its plugin), our TS
 * harness, the TS hello world plugin unbundled and bundled with packPlugin's
 * bundler, and `qplugin run`. The Go side and the bundles are built once;
 * what runs on Node is prepared once per Node.js runtime measured (the V8
 * code cache is only valid for the Node that made it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { bundlePlugin, DEFAULT_NODE_FLAGS } from '@qplugin/cli';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH = join(ROOT, 'bench');
export const CACHE = join(BENCH, 'dist', 'cache');

/** A Node.js the TS side runs on. */
export interface Runtime {
  /** `v24.22.3` */
  version: string;
  /** The node binary. */
  node: string;
  /** How it was asked for: `current` (the Node running the bench) or `lts` (the pinned Node 24). */
  source: 'current' | 'lts';
}

/**
 * Resolves `--node` entries: `current` is the Node running the bench, `lts`
 * (or `24`) the pinned Node 24 LTS from scripts/node-lts.mjs, installed into
 * .tools/ when missing. The same version asked twice runs once.
 */
export async function resolveRuntimes(names: readonly string[]): Promise<Runtime[]> {
  const out: Runtime[] = [];
  for (const name of names) {
    let node: string;
    let source: Runtime['source'];
    if (name === 'current') {
      node = process.execPath;
      source = 'current';
    } else if (name === 'lts' || name === '24') {
      const mod = (await import(pathToFileURL(join(ROOT, 'scripts', 'node-lts.mjs')).href)) as {
        ensureNodeLts: () => string;
      };
      node = mod.ensureNodeLts();
      source = 'lts';
    } else {
      throw new Error(`--node: unknown runtime ${name}; use current, lts (the pinned Node 24) or both`);
    }
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    if (!out.some((r) => r.version === version)) out.push({ version, node, source });
  }
  return out;
}

/** Built once for every runtime. */
export interface Shared {
  goHarness: string;
  goPlugin: string[];
  /** The go-plugin v1.2.2 interop plugin (GoQuorum's pin), hosted by both gateways in S7. */
  gethPlugin: string;
  /** The S7 reference gateway (interop/go/gateway). */
  goGateway: string;
  entry: string;
  bundled: string;
  rootImport: string;
  goVersion: string;
  goModules: Record<string, string>;
}

/** Everything a scenario runs, for one runtime. */
export interface Peers extends Omit<Shared, 'entry' | 'bundled' | 'rootImport'> {
  /** The Node.js the TS side runs on. */
  runtime: Runtime;
  /** `qplugin` CLI launcher (packages/cli/bin/qplugin.mjs). */
  qplugin: string;
  /** Our TS harness: node + script. */
  tsHarness: string[];
  /** TS plugin commands. */
  tsPlugin: string[];
  tsPluginBundled: string[];
  /** `qplugin pack --code-cache`: CommonJS bundle started with a V8 code cache made by this runtime. */
  tsPluginCodeCache: string[];
  /** Before the light entry (dae2480): the unbundled plugin importing the @qplugin/quorum root. */
  tsPluginRootImport: string[];
  /** The startup-marks preload (scenario 2 breakdown). */
  marksPreload: string;
}

function go(args: string[], cwd: string): string {
  return execFileSync('go', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Builds the Go references and the TS bundles (independent of the Node that runs them). */
export async function prepareShared(log: (line: string) => void): Promise<Shared> {
  if (spawnSync('go', ['version']).status !== 0) {
    throw new Error('the benchmark needs Go on PATH to build its reference (interop/go/bench)');
  }
  mkdirSync(CACHE, { recursive: true });
  log('building the Go references: harness + plugin (go-plugin v1.8.0), gateway + plugin (v1.2.2)');
  const goHarness = join(CACHE, 'gobench');
  go(['build', '-trimpath', '-buildvcs=false', '-o', goHarness, '.'], join(ROOT, 'interop', 'go', 'bench'));
  const goGateway = join(CACHE, 'gogateway');
  go(['build', '-trimpath', '-buildvcs=false', '-o', goGateway, '.'], join(ROOT, 'interop', 'go', 'gateway'));
  for (const v of ['v1.8.0', 'v1.2.2']) {
    execFileSync('bash', [join(ROOT, 'interop', 'go', 'build.sh'), v], { stdio: 'inherit' });
  }

  const entry = join(ROOT, 'examples', 'helloworld', 'dist', 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npx tsc -b\` first`);
  log(
    `bundling the TS hello world plugin (bundlePlugin, minified, ${DEFAULT_NODE_FLAGS.join(' ')} as qplugin pack does)`,
  );
  const bundled = join(CACHE, 'helloworld.mjs');
  writeFileSync(bundled, await bundlePlugin(entry, { nodeFlags: DEFAULT_NODE_FLAGS }), { mode: 0o755 });

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
    goPlugin: [join(ROOT, 'interop', 'go', 'bin', 'v1.8.0', 'plugin')],
    gethPlugin: join(ROOT, 'interop', 'go', 'bin', 'v1.2.2', 'plugin'),
    goGateway,
    entry,
    bundled,
    rootImport,
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

/**
 * The TS side for one runtime. The code-cache plugin is packed by the shipped
 * CLI (`qplugin pack`, whose default it is; `--code-cache` makes it fail
 * rather than fall back) running on that runtime, since V8 rejects a cache
 * made by another Node version.
 */
export function prepareRuntime(shared: Shared, runtime: Runtime, log: (line: string) => void): Peers {
  const { node } = runtime;
  const qplugin = join(ROOT, 'packages', 'cli', 'bin', 'qplugin.mjs');
  log(`${runtime.version}: packing the TS hello world with qplugin pack (code cache)`);
  const codeCacheDir = join(CACHE, `code-cache-${runtime.version}`);
  rmSync(codeCacheDir, { recursive: true, force: true });
  const packed = JSON.parse(
    execFileSync(
      node,
      [
        qplugin,
        'pack',
        '--name',
        'helloworld',
        '--version',
        '1.0.0',
        '--entry',
        shared.entry,
        '--out',
        codeCacheDir,
        '--code-cache',
        '--json',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  ) as { zip: string; entrypoint: string };
  execFileSync('unzip', ['-q', '-o', packed.zip, '-d', codeCacheDir]);
  const { entry, bundled, rootImport, ...rest } = shared;
  return {
    ...rest,
    runtime,
    qplugin,
    // Hosts and packed plugins on the runtime under test with the flags their first lines
    // give them (qplugin pack's default; the flag hosts are advised to run with, docs/hosting.md).
    tsHarness: [node, ...DEFAULT_NODE_FLAGS, join(BENCH, 'dist', 'ts-host.js')],
    tsPlugin: [node, entry],
    tsPluginBundled: [node, ...DEFAULT_NODE_FLAGS, bundled],
    tsPluginCodeCache: [node, ...DEFAULT_NODE_FLAGS, join(codeCacheDir, packed.entrypoint)],
    tsPluginRootImport: [node, rootImport],
    marksPreload: join(BENCH, 'dist', 'startup-marks.js'),
  };
}
