/**
 * The host under test, as a process: started by the check (no shell) in a
 * process group of its own, stdin a pipe the check holds open (so the probe
 * can tell whether it inherited it), stdout and stderr kept for the report.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';

import { GoPluginError } from '@qplugin/go-plugin/protocol';

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

export function spawnHost(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  cwd: string | undefined,
): Promise<HostProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const stdout = new Lines(2000);
    const stderr = new Lines(2000);
    child.stdout!.on('data', (c: Buffer) => stdout.write(c));
    child.stdout!.once('end', () => stdout.end());
    child.stderr!.on('data', (c: Buffer) => stderr.write(c));
    child.stderr!.once('end', () => stderr.end());
    child.stdin!.on('error', () => {});
    let exit: ExitInfo | undefined;
    let exitedAt: number | undefined;
    const exited = new Promise<ExitInfo>((res) =>
      child.once('exit', (code, signal) => {
        exitedAt = Date.now();
        res((exit = { code, signal }));
      }),
    );
    child.once('error', (err) =>
      reject(
        new GoPluginError('SPAWN_FAILED', `exec: ${JSON.stringify(command)}: ${err.message}`, {
          fix: 'Check the host command: its path, that it is executable, and that it comes after --.',
          details: { command, args },
          cause: err,
        }),
      ),
    );
    child.once('spawn', () => {
      const pid = child.pid!;
      let stdinLink: string | null = null;
      try {
        stdinLink = readlinkSync(`/proc/${pid}/fd/0`);
      } catch {
        // no /proc, or gone already
      }
      resolve({
        child,
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
        signalGroup: (s) => {
          try {
            process.kill(-pid, s);
          } catch {
            // gone
          }
        },
      });
    });
  });
}
