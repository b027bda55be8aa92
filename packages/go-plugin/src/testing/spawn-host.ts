/**
 * Runs a PluginClient in a child host process (host-main.ts), so a test can
 * signal, exit or SIGKILL a real host and look at what its plugin and files
 * become.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { ReattachConfig } from '../host/options.js';
import type { HostConfig } from './host-main.js';
import { waitUntil } from './process.js';

export type { HostConfig } from './host-main.js';

const MAIN = fileURLToPath(new URL('./host-main.js', import.meta.url));

export interface SpawnedHost {
  readonly child: ChildProcess;
  /** The plugin's pid. */
  readonly pluginPid: number;
  /** What a PluginClient needs to reattach to the plugin (TLS material included). */
  readonly reattach: ReattachConfig;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Resolves with how the host process ended. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a command line (`exit`, `kill`). */
  send(command: string): void;
}

/** Starts a host process and waits until its plugin has started. */
export async function spawnHost(
  config: HostConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SpawnedHost> {
  const child = spawn(process.execPath, [MAIN, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env,
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void ended.then(() => (done = true));
  const waitForLine = async (pattern: RegExp, timeoutMs = 30_000): Promise<string> => {
    await waitUntil(
      () => done || lines.some((l) => pattern.test(l)),
      timeoutMs,
      `a host line matching ${pattern}`,
    );
    const line = lines.find((l) => pattern.test(l));
    if (line === undefined)
      throw new Error(`host ended without a line matching ${pattern}:\n${lines.join('\n')}`);
    return line;
  };
  const started = JSON.parse((await waitForLine(/^started /)).slice('started '.length)) as {
    pid: number;
    reattach: Omit<ReattachConfig, 'tls'> & {
      tls?: Omit<NonNullable<ReattachConfig['tls']>, 'pluginCertDer'> & { pluginCertDer: string };
    };
  };
  const { tls, ...rest } = started.reattach;
  const reattach: ReattachConfig = {
    ...rest,
    ...(tls ? { tls: { ...tls, pluginCertDer: Buffer.from(tls.pluginCertDer, 'base64') } } : {}),
  };
  return {
    child,
    pluginPid: started.pid,
    reattach,
    lines,
    ended,
    waitForLine,
    send: (command) => child.stdin!.write(`${command}\n`),
  };
}
