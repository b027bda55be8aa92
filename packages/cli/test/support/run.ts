/** `qplugin run` as a child process for the run tests: start it, call its JSON-RPC endpoint, read its logs. */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import type { Agent } from 'node:http';

import { BIN } from './cli.js';

/** A request that takes this long is a hang (the gateway's own call timeout is 30 s). */
export const HANG_MS = 45_000;

export interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string };
}

export function rpc(agent: Agent | false, url: string, method: string, params: unknown[]): Promise<RpcReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, agent, timeout: HANG_MS },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          try {
            resolve(JSON.parse(text) as RpcReply);
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${method} hung for ${HANG_MS} ms`)));
    req.once('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  });
}

export interface Run {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** The document --json printed once serving. */
  ready: Record<string, unknown>;
  stderr: () => string;
  /** Resolves with the first log line (already written or to come) that `test` accepts. */
  logged: (test: (line: LogLine) => boolean) => Promise<LogLine>;
}

/** Starts `qplugin run --json` on a free port with `extra` flags; resolves once it serves. */
export async function startRun(settings: string, dir: string, extra: readonly string[] = []): Promise<Run> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'run',
      '--plugins',
      `file://${settings}`,
      '--plugins.skipverify',
      '--http.port',
      '0',
      '--http.api',
      'admin,plugin@helloworld',
      '--json',
      ...extra,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: dir } },
  );
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of [...watchers]) w();
  });
  const logged = (test: (line: LogLine) => boolean): Promise<LogLine> =>
    new Promise((resolve) => {
      const look = (): void => {
        const found = logLines(err).find(test);
        if (!found) return;
        watchers.delete(look);
        resolve(found);
      };
      watchers.add(look);
      look();
    });
  const ready = await new Promise<{ url: string } & Record<string, unknown>>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve(JSON.parse(out) as { url: string } & Record<string, unknown>);
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`run exited ${code}\n${err}`)));
  });
  return { child, url: ready.url, ready, stderr: () => err, logged };
}

export interface PluginStatus {
  state: string;
  pid: number | null;
  restarts: number;
  lastExit: { signal: string | null; code: number | null; reason: string } | null;
  error: string | null;
}

export async function status(agent: Agent | false, url: string): Promise<PluginStatus> {
  const reply = await rpc(agent, url, 'admin_nodeInfo', []);
  return (reply.result as { plugins: { helloworld: PluginStatus } }).plugins.helloworld;
}

export interface LogLine {
  '@level': string;
  '@message': string;
  [field: string]: unknown;
}

export const logLines = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });

/** Polls an async check every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function poll(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
