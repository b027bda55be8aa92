/**
 * The plugin process: spawned in its own process group with stdin inherited
 * and stdout/stderr piped (as go-plugin does, plus the group so that a kill
 * reaches the plugin's children too). Only the first stdout line is read;
 * the rest is drained and dropped, unless a caller that wants to look at it
 * (the conformance kit) passes a stdout sink. The one spawner of the
 * project: the conformance kit starts plugins and hosts under test with it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

import { GoPluginError } from '../protocol/errors.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Longest handshake line a Go host reads (bufio.Scanner's default). */
export const MAX_HANDSHAKE_LINE = 64 * 1024;

export type FirstLine = { kind: 'line'; line: string } | { kind: 'eof' } | { kind: 'too-long' };

export interface PluginProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited (code or signal). */
  readonly exited: Promise<ExitInfo>;
  /** Resolves when its stdout and stderr are closed too. */
  readonly closed: Promise<void>;
  /** The first stdout line, or why there is none. */
  readonly firstLine: Promise<FirstLine>;
  hasExited(): boolean;
  /** Signals the whole process group; false if it is already gone. */
  signalGroup(signal: NodeJS.Signals): boolean;
}

/** Where a plugin's output goes, chunk by chunk; `end()` when the pipe closes. */
export interface OutputSink {
  write(chunk: Buffer): void;
  end(): void;
}

export interface SpawnInput {
  command: string;
  args: readonly string[];
  cwd?: string;
  env: Record<string, string>;
  stderr: OutputSink;
  /** Every stdout chunk, the handshake line included (default: drained and dropped). */
  stdout?: OutputSink;
  /** `inherit` (default, as go-plugin) or `pipe`: a pipe held open by us (the host check's hosts). */
  stdin?: 'inherit' | 'pipe';
  /** The `fix` of the SPAWN_FAILED error (default: about the plugin command). */
  spawnFailedFix?: string;
}

export function spawnPlugin(input: SpawnInput): Promise<PluginProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(input.command, [...input.args], {
      cwd: input.cwd,
      env: input.env,
      stdio: [input.stdin ?? 'inherit', 'pipe', 'pipe'],
      detached: true,
    });
    let exitInfo: ExitInfo | undefined;
    const exited = new Promise<ExitInfo>((res) =>
      child.once('exit', (code, signal) => {
        exitInfo = { code, signal };
        res(exitInfo);
      }),
    );
    const closed = new Promise<void>((res) => child.once('close', () => res()));

    const firstLine = new Promise<FirstLine>((res) => {
      const parts: Buffer[] = [];
      let length = 0;
      let done = false;
      const onData = (chunk: Buffer): void => {
        if (done) return;
        const nl = chunk.indexOf(0x0a);
        if (nl === -1) {
          parts.push(chunk);
          length += chunk.length;
          if (length > MAX_HANDSHAKE_LINE) {
            done = true;
            res({ kind: 'too-long' });
          }
          return;
        }
        parts.push(chunk.subarray(0, nl));
        done = true;
        res({ kind: 'line', line: Buffer.concat(parts).toString('utf8') });
      };
      child.stdout!.on('data', onData);
      child.stdout!.once('end', () => {
        if (!done) {
          done = true;
          res({ kind: 'eof' });
        }
      });
    });
    // Keep draining after the handshake so the plugin never blocks on a full pipe.
    const stdoutSink = input.stdout;
    if (stdoutSink) {
      child.stdout!.on('data', (chunk: Buffer) => stdoutSink.write(chunk));
      child.stdout!.once('end', () => stdoutSink.end());
    }
    child.stdout!.resume();
    child.stderr!.on('data', (chunk: Buffer) => input.stderr.write(chunk));
    child.stderr!.once('end', () => input.stderr.end());
    // A piped stdin the child never reads: an EPIPE on it is not our error.
    child.stdin?.on('error', () => {});

    child.once('error', (err) => {
      reject(
        new GoPluginError('SPAWN_FAILED', `exec: ${JSON.stringify(input.command)}: ${err.message}`, {
          fix: input.spawnFailedFix ?? spawnFix(input.command, err),
          details: { command: input.command, args: input.args },
          cause: err,
        }),
      );
    });
    child.once('spawn', () => {
      const pid = child.pid!;
      resolve({
        child,
        pid,
        exited,
        closed,
        firstLine,
        hasExited: () => exitInfo !== undefined,
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

/**
 * What to do about a failed spawn. A command with spaces that does not exist
 * is most often a command line given whole (`"node x.js"`): there is no
 * shell, so say how to split it.
 */
export function spawnFix(command: string, err: NodeJS.ErrnoException): string {
  const words = command.trim().split(/\s+/);
  if (err.code === 'ENOENT' && words.length > 1) {
    const [program, ...args] = words;
    return (
      `${JSON.stringify(command)} is taken as the name of one executable: commands run without a shell. ` +
      `Put the program in command and its arguments in args: ` +
      `{ command: ${JSON.stringify(program)}, args: ${JSON.stringify(args)} }.`
    );
  }
  return 'Check the command path, that it is executable by this user, and its interpreter line.';
}
