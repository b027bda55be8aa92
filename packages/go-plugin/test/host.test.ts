/**
 * PluginClient with our own plugins (TS ↔ TS): logs, stdio, kill paths,
 * managed clients, reattach, TCP, version negotiation, dead plugins.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { PluginClient } from '../src/host/client.js';
import { killAllManaged } from '../src/host/managed.js';
import type { PluginClientOptions } from '../src/host/options.js';
import { Health } from '../src/protocol/builtins.js';
import { GoPluginError } from '../src/protocol/errors.js';
import type { LogLevel } from '../src/protocol/hclog.js';
import { createLogger } from '../src/protocol/logger.js';
import { RpcError, Status } from '../src/protocol/rpc-error.js';
import { expectNoProcesses, isAlive, waitUntil } from '../src/testing/process.js';
import { Scratch } from './support/scratch.js';

const scratch = new Scratch('qp-host-');
/** Extra argv marking this file's plugin processes (test files run in parallel). */
const TOKEN = `--qp-test=${randomUUID()}`;
const MINIMAL = fileURLToPath(new URL('./fixtures/minimal-plugin.js', import.meta.url));
const handshake = { protocolVersion: 1, magicCookieKey: 'FIXTURE_COOKIE', magicCookieValue: 'fixture' };

interface LogRecord {
  level: LogLevel;
  message: string;
  module?: string;
  fields: { [key: string]: unknown };
}

function recorder(): { records: LogRecord[]; logger: ReturnType<typeof createLogger> } {
  const records: LogRecord[] = [];
  return {
    records,
    logger: createLogger(
      (level, message, module, fields) => records.push({ level, message, module, fields }),
      { level: 'trace' },
    ),
  };
}

function sink(): { chunks: Buffer[]; text(): string; write(c: Uint8Array): void } {
  const chunks: Buffer[] = [];
  return { chunks, text: () => Buffer.concat(chunks).toString(), write: (c) => chunks.push(Buffer.from(c)) };
}

function minimal(env: Record<string, string> = {}, extra: Partial<PluginClientOptions> = {}): PluginClient {
  return new PluginClient({
    command: process.execPath,
    args: [MINIMAL, TOKEN],
    env,
    handshake,
    unixSocket: { dir: scratch.dir },
    ...extra,
  });
}

async function noLeftovers(client: PluginClient): Promise<void> {
  assert.ok(!isAlive(client.pid), `pid ${client.pid} still alive`);
  await expectNoProcesses(TOKEN);
  assert.deepEqual(
    scratch.list(scratch.dir).filter((n) => n.startsWith('plugin-dir')),
    [],
    'socket dirs removed',
  );
}

describe('PluginClient with a TS plugin', () => {
  it('forwards plugin stderr to the host log with levels, and a raw copy', async () => {
    const { records, logger } = recorder();
    const raw = sink();
    const c = minimal(
      { FIXTURE_STDERR: '[WARN] disk almost full', FIXTURE_HCLOG: 'structured hello' },
      { logger, rawStderr: raw },
    );
    await c.start();
    await waitUntil(() => records.some((r) => r.message === 'structured hello'), 5000, 'the hclog line');
    const text = records.find((r) => r.message === '[WARN] disk almost full');
    assert.equal(text?.level, 'warn');
    assert.equal(text?.module, 'node');
    const structured = records.find((r) => r.message === 'structured hello')!;
    assert.equal(structured.level, 'warn');
    assert.equal(structured.fields.answer, 42);
    assert.match(String(structured.fields.timestamp), /^\d{4}-.*\.\d{6}Z$/);
    assert.match(raw.text(), /^\[WARN\] disk almost full\n/);
    assert.match(raw.text(), /"@message":"structured hello"/);
    const exit = await c.kill();
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(!records.some((r) => r.message === 'plugin failed to exit gracefully'));
    await noLeftovers(c);
  });

  it('delivers post-handshake stdout through GRPCStdio to the stdout sink', async () => {
    const out = sink();
    const c = minimal({ FIXTURE_PRINT: 'hello\nworld!' }, { stdout: out });
    await c.start();
    await waitUntil(() => out.text() === 'hello\nworld!', 5000, 'stdout data');
    await c.kill();
    await noLeftovers(c);
  });

  it('kills a plugin that ignores Shutdown after the grace period, with its whole process group', async () => {
    const { records, logger } = recorder();
    const c = minimal({ FIXTURE_IGNORE_SHUTDOWN: '1', FIXTURE_CHILD: '1' }, { logger, killGraceMs: 300 });
    await c.start();
    await waitUntil(() => records.some((r) => r.message === 'child started'), 5000, 'child pid');
    const childPid = Number(records.find((r) => r.message === 'child started')!.fields.childPid);
    assert.ok(isAlive(childPid));
    const exit = await c.kill();
    assert.equal(exit?.signal, 'SIGKILL');
    assert.ok(records.some((r) => r.level === 'warn' && r.message === 'plugin failed to exit gracefully'));
    await waitUntil(() => !isAlive(childPid), 2000, 'the grandchild to die');
    await noLeftovers(c);
  });

  it('kill() is idempotent and a second client call after it fails clearly', async () => {
    const c = minimal();
    await c.start();
    const health = c.client(Health);
    const [a, b] = await Promise.all([c.kill(), c.kill()]);
    assert.deepEqual(a, b);
    await assert.rejects(
      health.check({ service: 'plugin' }),
      (e: unknown) =>
        e instanceof RpcError &&
        e.code === Status.UNAVAILABLE &&
        /plugin is not running \(exited with code 0\)/.test(e.message),
    );
    // A client asked for after the exit behaves the same.
    await assert.rejects(
      c.client(Health).check({ service: 'plugin' }),
      /plugin is not running \(exited with code 0\)/,
    );
    const never = minimal();
    assert.throws(
      () => never.client(Health),
      (e: unknown) => e instanceof GoPluginError && e.code === 'CLIENT_STATE',
    );
  });

  it('a plugin that dies mid-call: the call rejects, exited fires, nothing leaks', async () => {
    const c = minimal();
    await c.start();
    const exitedEvent = new Promise((resolve) => c.once('exited', resolve));
    const watch = c.client(Health).watch({ service: 'plugin' });
    const it = watch[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.status, 1);
    process.kill(c.pid, 'SIGKILL');
    await assert.rejects(
      it.next(),
      (e: unknown) =>
        e instanceof RpcError && e.code === Status.UNAVAILABLE && /killed by SIGKILL/.test(e.message),
    );
    assert.deepEqual(await exitedEvent, { code: null, signal: 'SIGKILL' });
    await c.kill();
    await noLeftovers(c);
  });

  it('the plugin ignores SIGINT (the host drives shutdown) and stops gracefully on SIGTERM', async () => {
    const { records, logger } = recorder();
    const c = minimal({}, { logger });
    await c.start();
    process.kill(c.pid, 'SIGINT');
    await waitUntil(
      () => records.some((r) => r.message === 'plugin received interrupt signal, ignoring'),
      5000,
      'the SIGINT log line',
    );
    assert.equal(
      records.find((r) => r.message === 'plugin received interrupt signal, ignoring')?.fields.count,
      1,
    );
    await c.ping();
    process.kill(c.pid, 'SIGTERM');
    assert.deepEqual(await c.exited, { code: 0, signal: null });
    await c.kill();
    await noLeftovers(c);
  });

  it('managed clients die together', async () => {
    const a = minimal({}, { managed: true });
    const b = minimal({}, { managed: true });
    await Promise.all([a.start(), b.start()]);
    await killAllManaged();
    assert.equal(a.hasExited && b.hasExited, true);
    await noLeftovers(a);
  });

  it('serves over TCP inside the host port range with mTLS', async () => {
    const c = minimal({ FIXTURE_NETWORK: 'tcp' }, { minPort: 23100, maxPort: 23199 });
    await c.start();
    const cfg = c.reattachConfig();
    assert.equal(cfg.addr.network, 'tcp');
    const port = Number(cfg.addr.address.split(':')[1]);
    assert.ok(port >= 23100 && port <= 23199, `port ${port}`);
    await c.ping();
    await c.kill();
  });

  it('negotiates the highest common version', async () => {
    const c = minimal({ FIXTURE_VERSION: '2' }, { versions: [1, 2, 3] });
    await c.start();
    assert.equal(c.negotiatedVersion, 2);
    await c.kill();
  });

  it('puts sockets in a group-owned directory when a group is configured', async () => {
    const gid = String(userInfo().gid);
    const c = minimal({}, { unixSocket: { dir: scratch.dir, group: gid } });
    await c.start();
    const socket = c.reattachConfig().addr.address;
    assert.equal(statSync(socket).mode & 0o777, 0o660);
    assert.equal(statSync(socket).gid, Number(gid));
    await c.kill();
  });
});

describe('no orphans', () => {
  const HOST = fileURLToPath(new URL('./fixtures/host-script.js', import.meta.url));

  function runHost(mode: string, managed: string): Promise<{ host: ChildProcess; pluginPid: number }> {
    const host = spawn(process.execPath, [HOST, mode, managed, TOKEN], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, FIXTURE_SOCKET_DIR: scratch.sub('killed-host') },
    });
    return new Promise((resolve, reject) => {
      host.stdout!.once('data', (d: Buffer) => resolve({ host, pluginPid: Number(d.toString().trim()) }));
      host.once('error', reject);
    });
  }

  it('a managed plugin is killed when its host process exits', async () => {
    // The plugin's own watchdog is off here, so only the host's exit hook can stop it.
    const { host, pluginPid } = await runHost('exit', 'managed');
    await new Promise((resolve) => host.once('exit', resolve));
    await waitUntil(() => !isAlive(pluginPid), 2000, 'the managed plugin to be killed');
    await expectNoProcesses(TOKEN);
  });

  it('a plugin stops by itself when its host is killed (parent watchdog)', async () => {
    const { host, pluginPid } = await runHost('wait', 'unmanaged');
    host.kill('SIGKILL');
    await waitUntil(() => !isAlive(pluginPid), 10_000, 'the orphaned plugin to stop');
    await expectNoProcesses(TOKEN);
  });
});

describe('reattach', () => {
  for (const autoMTLS of [true, false]) {
    it(`a second client attaches to a running plugin and calls it (AutoMTLS ${autoMTLS ? 'on' : 'off'})`, async () => {
      const owner = minimal({}, { autoMTLS });
      await owner.start();
      const config = owner.reattachConfig();
      const second = new PluginClient({ handshake, reattach: config });
      await second.start();
      await second.ping();
      assert.equal(second.negotiatedVersion, 1);
      second.disconnect();
      assert.ok(isAlive(owner.pid), 'disconnecting never stops the plugin');
      await owner.ping();
      await owner.kill();
      await noLeftovers(owner);
    });
  }

  it('reports a dead plugin as not found and kills nothing', async () => {
    const owner = minimal({}, { autoMTLS: false });
    await owner.start();
    const config = owner.reattachConfig();
    await owner.kill();
    const err = await new PluginClient({ handshake, reattach: config }).start().catch((e: unknown) => e);
    assert.ok(err instanceof GoPluginError);
    assert.equal(err.code, 'REATTACH_NOT_FOUND');
    assert.equal(err.message, 'reattachment process not found');
  });
});
