/**
 * The host under test, as a process: started by the check with go-plugin's
 * spawner (no shell) in a process group of its own, stdin a pipe the check holds open (so the probe
 * can tell whether it inherited it), stdout and stderr kept for the report.
 */
import type { ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';

import { spawnPlugin } from '@qplugin/go-plugin/internal';

import { Lines } from '../process/lines.js';
import type { ExitInfo } from '../process/spawn.js';

export interface HostProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt: number;
  /** readlink of the host's fd 0 right after it started, e.g. `pipe:[123]`. */
  readonly stdinLink: string | null;
  readonly stdout: Lines;
  readonly stderr: Lines;
  readonly exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | undefined;
  /** Epoch ms of the exit. */
  exitedAt(): number | undefined;
  signal(signal: NodeJS.Signals): void;
  signalGroup(signal: NodeJS.Signals): void;
}

/** Starts the host with go-plugin's spawner (no shell, own process group), stdin a pipe we hold. */
export async function spawnHost(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  cwd: string | undefined,
): Promise<HostProcess> {
  const stdout = new Lines(2000);
  const stderr = new Lines(2000);
  const proc = await spawnPlugin({
    command,
    args,
    env,
    ...(cwd !== undefined ? { cwd } : {}),
    stdin: 'pipe',
    stdout,
    stderr,
    spawnFailedFix: 'Check the host command: its path, that it is executable, and that it comes after --.',
  });
  const pid = proc.pid;
  let stdinLink: string | null = null;
  try {
    stdinLink = readlinkSync(`/proc/${pid}/fd/0`);
  } catch {
    // no /proc, or gone already
  }
  let exit: ExitInfo | undefined;
  let exitedAt: number | undefined;
  const exited = proc.exited.then((info) => {
    exitedAt = Date.now();
    return (exit = info);
  });
  return {
    child: proc.child,
    pid,
    startedAt: Date.now(),
    stdinLink,
    stdout,
    stderr,
    exited,
    exitInfo: () => exit,
    exitedAt: () => exitedAt,
    signal: (s) => {
      try {
        process.kill(pid, s);
      } catch {
        // gone
      }
    },
    signalGroup: (s) => void proc.signalGroup(s),
  };
}
