/**
 * Starting a plugin under test with the host library's own spawner (no
 * shell, stdin inherited, stdout and stderr piped, its own process group so
 * that what it leaves behind can be found), keeping every stdout and stderr
 * line for the report.
 */
import { spawnPlugin } from '@qplugin/go-plugin/internal';
import type { ExitInfo } from '@qplugin/go-plugin/host';
import type { PluginProcess } from '@qplugin/go-plugin/internal';

import { Lines } from './lines.js';

export type { ExitInfo } from '@qplugin/go-plugin/host';

export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code ?? '?'}`;
}

export interface Spawned {
  readonly proc: PluginProcess;
  readonly pid: number;
  /** Epoch ms when it was started. */
  readonly startedAt: number;
  readonly stdout: Lines;
  readonly stderr: Lines;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  /** Resolves when stdout and stderr are closed too. */
  readonly closed: Promise<void>;
  exitInfo(): ExitInfo | undefined;
  /** Signals the whole process group; false if it is gone. */
  signalGroup(signal: NodeJS.Signals): boolean;
  /** Signals only the process started, as go-plugin's host does. */
  signal(signal: NodeJS.Signals): void;
}

export interface SpawnInput {
  command: string;
  args: readonly string[];
  cwd?: string;
  env: Record<string, string>;
  /** Raw copy of the plugin's stderr (--verbose). */
  echo?: NodeJS.WritableStream;
}

export async function spawnForCheck(input: SpawnInput): Promise<Spawned> {
  const stdout = new Lines();
  const stderr = new Lines();
  const echo = input.echo;
  const proc = await spawnPlugin({
    command: input.command,
    args: input.args,
    ...(input.cwd !== undefined ? { cwd: input.cwd } : {}),
    env: input.env,
    stdout,
    stderr: {
      write: (chunk) => {
        stderr.write(chunk);
        echo?.write(chunk);
      },
      end: () => stderr.end(),
    },
  });
  let exit: ExitInfo | undefined;
  void proc.exited.then((e) => (exit = e));
  return {
    proc,
    pid: proc.pid,
    startedAt: Date.now(),
    stdout,
    stderr,
    exited: proc.exited,
    closed: proc.closed,
    exitInfo: () => exit,
    signalGroup: (signal) => proc.signalGroup(signal),
    signal: (signal) => void proc.child.kill(signal),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with the exit info, or undefined if the process is still running after `ms`. */
export function exitWithin(proc: Spawned, ms: number): Promise<ExitInfo | undefined> {
  if (ms <= 0) return Promise.resolve(proc.exitInfo());
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    proc.exited.finally(() => clearTimeout(timer)),
    new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms))),
  ]);
}
