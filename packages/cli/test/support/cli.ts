/** Runs the qplugin CLI as a child process, as users do, for the cli-*.test.ts files. */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
export const BIN = join(REPO, 'packages', 'cli', 'bin', 'qplugin.mjs');
export const HELLO_MAIN = join(REPO, 'examples', 'helloworld', 'dist', 'src', 'main.js');
export const GO_DIR = join(REPO, 'interop', 'go');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A leak guard, not a speed limit: a CLI run that hangs is killed after this,
 * so the test fails instead of leaving a process behind. Generous, because a
 * loaded CI machine is slow; tests assert results, never durations.
 */
const HANG_GUARD_MS = 300_000;

export function qplugin(
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? HANG_GUARD_MS,
        env: { ...process.env, NO_COLOR: '1', ...options.env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs the CLI once per argument list, at most `concurrency` at a time (the
 * machine running the tests has few cores; a dozen node processes at once
 * would make each slow), results in the order given.
 */
export async function qpluginEach(argLists: readonly (readonly string[])[], concurrency = 2): Promise<Ran[]> {
  const results: Ran[] = new Array<Ran>(argLists.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < argLists.length) {
      const i = next++;
      results[i] = await qplugin(argLists[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, argLists.length) }, worker));
  return results;
}

/** Parses stdout as the one JSON document --json promises. */
export function json(ran: Ran): Record<string, unknown> {
  try {
    return JSON.parse(ran.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${ran.code}):\n${ran.stdout}\nstderr:\n${ran.stderr}`);
  }
}

/** `ran` as text for assertion messages. */
export const show = (ran: Ran): string => `exit ${ran.code}\nstdout:\n${ran.stdout}\nstderr:\n${ran.stderr}`;

/** A temp dir removed after the file's tests. */
export function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * false when Go is available; else the skip reason. With REQUIRE_INTEROP=1
 * a missing toolchain is a failure, not a skip.
 */
export function goSkip(): string | false {
  if (spawnSync('go', ['version']).status === 0) return false;
  if (process.env.REQUIRE_INTEROP === '1') throw new Error('REQUIRE_INTEROP=1 but `go` is not on PATH');
  return 'go is not on PATH: Go plugin / Go openpgp cases not run (set REQUIRE_INTEROP=1 to fail instead)';
}
