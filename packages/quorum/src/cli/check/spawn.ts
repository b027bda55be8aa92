/**
 * Starting the plugin for a check: as go-plugin does (no shell, stdin
 * inherited, stdout and stderr piped), but in its own process group so that
 * its members can be found and cleaned up afterwards. Unlike the host's
 * launcher (not exported by @qplugin/go-plugin/host), every stdout line is
 * kept, to show what came before the handshake, and every stderr line, to
 * judge the log format.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

import { GoPluginError } from '@qplugin/go-plugin/protocol';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code ?? '?'}`;
}

const MAX_PARTIAL = 1024 * 1024;

/** Lines of one output stream, with a way to wait for the next one. */
export class Lines {
  readonly lines: string[] = [];
  /** Text after the last newline. */
  partial = '';
  bytes = 0;
  ended = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly maxLines = 10_000) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop()!;
    // A runaway line without newline: keep it as a (too long) line rather than grow forever.
    if (this.partial.length > MAX_PARTIAL) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const line of parts) if (this.lines.length < this.maxLines) this.lines.push(line);
    if (parts.length > 0) this.wake();
  }

  end(): void {
    if (this.partial !== '' && this.lines.length < this.maxLines) this.lines.push(this.partial);
    this.partial = '';
    this.ended = true;
    this.wake();
  }

  /** Resolves with line `index` when it arrives, 'eof' if the stream ends first, or 'timeout'. */
  async line(index: number, deadline: number): Promise<string | 'eof' | 'timeout'> {
    for (;;) {
      if (index < this.lines.length) return this.lines[index]!;
      if (this.ended) return 'eof';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        // Unref'd: a caller that stopped waiting must not keep the CLI alive.
        const timer = setTimeout(resolve, left).unref();
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export interface Spawned {
  readonly child: ChildProcess;
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
}

export interface SpawnInput {
  command: string;
  args: readonly string[];
  cwd?: string;
  env: Record<string, string>;
  /** Raw copy of the plugin's stderr (--verbose). */
  echo?: NodeJS.WritableStream;
}

export function spawnForCheck(input: SpawnInput): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(input.command, [...input.args], {
      cwd: input.cwd,
      env: input.env,
      stdio: ['inherit', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout = new Lines();
    const stderr = new Lines();
    let exit: ExitInfo | undefined;
    const exited = new Promise<ExitInfo>((res) =>
      child.once('exit', (code, signal) => res((exit = { code, signal }))),
    );
    const closed = new Promise<void>((res) => child.once('close', () => res()));
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stdout!.once('end', () => stdout.end());
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      input.echo?.write(chunk);
    });
    child.stderr!.once('end', () => stderr.end());
    child.once('error', (err) =>
      reject(
        new GoPluginError('SPAWN_FAILED', `exec: ${JSON.stringify(input.command)}: ${err.message}`, {
          fix: 'Check the command path, that it is executable by this user, and its interpreter line.',
          details: { command: input.command, args: input.args },
          cause: err,
        }),
      ),
    );
    child.once('spawn', () => {
      const pid = child.pid!;
      resolve({
        child,
        pid,
        startedAt: Date.now(),
        stdout,
        stderr,
        exited,
        closed,
        exitInfo: () => exit,
        signalGroup(signal) {
          try {
            process.kill(-pid, signal);
            return true;
          } catch {
            return false;
          }
        },
      });
    });
  });
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
