/**
 * The two JSON-RPC gateways scenario 7 compares, each hosting the same Go
 * hello world plugin (go-plugin v1.2.2): `qplugin run` on the runtime being
 * measured, and the Go reference gateway (interop/go/gateway).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

import { packPlugin } from '@qplugin/cli';

import { GREETING_BODY } from './load.js';
import type { Peers } from './prepare.js';
import { childPids, procStatusKB, track } from './proc.js';

export interface GatewayServer {
  url: string;
  /** The gateway process. */
  pid: number;
  pluginPid: number;
  /** The executable the gateway process runs (/proc/<pid>/exe). */
  exe: string;
  /** The Node options on its command line when it was ready (/proc/<pid>/cmdline, before the script). */
  nodeFlags: string[];
  /** Peak RSS of the gateway and of its plugin, read before stopping. */
  peakKB(): { gateway: number; plugin: number };
  /** Stops it (SIGINT/SIGTERM, as an operator would); resolves with the exit code. */
  stop(): Promise<number | null>;
}

const exeOf = (pid: number): string => {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return 'unknown';
  }
};

/** The options between the executable and the first argument that is not one (the script). */
const nodeFlagsOf = (pid: number): string[] => {
  try {
    const [, ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const script = args.findIndex((a) => !a.startsWith('-'));
    return args.slice(0, script < 0 ? args.length : script);
  } catch {
    return [];
  }
};

/** Waits for the first stdout line that parses as JSON; rejects with stderr if the process exits first. */
function readyLine<T>(child: ChildProcess, what: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} was not ready in ${timeoutMs} ms: ${err.slice(-2000)}`));
    }, timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-8000)));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      try {
        const value = JSON.parse(out) as T;
        clearTimeout(timer);
        resolve(value);
      } catch {
        // not a whole JSON document yet
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${signal ?? code}) before it was ready: ${err.slice(-2000)}`));
    });
  });
}

function stopper(child: ChildProcess, signal: NodeJS.Signals): () => Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
}

function server(child: ChildProcess, url: string, pluginPid: number, signal: NodeJS.Signals): GatewayServer {
  const pid = child.pid!;
  return {
    url,
    pid,
    pluginPid,
    exe: exeOf(pid),
    nodeFlags: nodeFlagsOf(pid),
    peakKB: () => ({ gateway: procStatusKB(pid, 'VmHWM'), plugin: procStatusKB(pluginPid, 'VmHWM') }),
    stop: stopper(child, signal),
  };
}

/**
 * `qplugin run` with the Go plugin packed as a distribution (verification
 * skipped), workspace under `dir`. `nodeArgs` go before the script (e.g.
 * `--cpu-prof`), `runArgs` after `run`'s own (e.g. `--metrics`); `qplugin`
 * overrides the CLI launcher (an A/B experiment's other build).
 */
export async function startQpluginRun(
  peers: Pick<Peers, 'runtime' | 'qplugin' | 'gethPlugin'>,
  dir: string,
  nodeArgs: readonly string[] = [],
  runArgs: readonly string[] = [],
  /**
   * Node flags before nodeArgs. By default none: `node qplugin.mjs run` as users start it, which restarts
   * itself with DEFAULT_NODE_FLAGS where Node can (process.execve, Node ≥ 22.15) and runs without them on
   * Node 20.
   */
  youngGenFlags: readonly string[] = [],
): Promise<GatewayServer> {
  const baseDir = join(dir, 'plugins');
  mkdirSync(baseDir, { recursive: true });
  await packPlugin({ name: 'bench-hello', version: '1.0.0', executable: peers.gethPlugin, outDir: baseDir });
  const config = join(dir, 'hello.json');
  writeFileSync(config, '{"language":"en"}');
  const settings = join(dir, 'settings.json');
  writeFileSync(
    settings,
    JSON.stringify({
      baseDir,
      providers: { helloworld: { name: 'bench-hello', version: '1.0.0', config: `file://${config}` } },
    }),
  );
  const args = [
    ...youngGenFlags,
    ...nodeArgs,
    peers.qplugin,
    'run',
    '--plugins',
    `file://${settings}`,
    '--plugins.skipverify',
    '--http.port',
    '0',
    '--http.api',
    'plugin@helloworld',
    '--verbosity',
    'warn',
    '--json',
    ...runArgs,
  ];
  const child = spawn(peers.runtime.node, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: dir },
  });
  track(child, peers.runtime.node, args);
  const ready = await readyLine<{ url: string }>(child, 'qplugin run');
  const children = childPids(child.pid!);
  if (children.length !== 1) {
    child.kill('SIGKILL');
    throw new Error(`qplugin run should have one child (the plugin), has ${children.length}`);
  }
  return server(child, ready.url, children[0]!, 'SIGINT');
}

/** The Go reference gateway (go-plugin v1.2.2 host) with the same plugin. */
export async function startGoGateway(peers: Pick<Peers, 'goGateway' | 'gethPlugin'>): Promise<GatewayServer> {
  const child = spawn(peers.goGateway, ['--', peers.gethPlugin], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child, peers.goGateway, ['--', peers.gethPlugin]);
  const ready = await readyLine<{ url: string; pid: number; plugin_pid: number }>(child, 'the Go gateway');
  return server(child, ready.url, ready.plugin_pid, 'SIGTERM');
}

/** One Greeting through a gateway; throws unless it answers `Hello bench!` within 10 s. */
export function probe(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        agent: false,
        signal: AbortSignal.timeout(10_000),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          try {
            const body = JSON.parse(text) as { result?: unknown };
            if (res.statusCode === 200 && body.result === 'Hello bench!') return resolve();
          } catch {
            // reported below
          }
          reject(new Error(`${url} answered ${res.statusCode}: ${text.slice(0, 300)}`));
        });
      },
    );
    req.once('error', reject);
    req.end(GREETING_BODY);
  });
}

/** Whether a gateway process runs the given node binary (symlinks resolved). */
export const runsOn = (s: GatewayServer, node: string): boolean => s.exe === realpathSync(node);
