/**
 * A plugin that is not Quorum's: our TS host runs the Go kv plugin (go-plugin
 * v1.8.0, written after go-plugin's examples/grpc, cookie BASIC_PLUGIN=hello)
 * with code generated from its own kv.proto, and reattaches to the same
 * plugin served in go-plugin's test mode from the TF_REATTACH_PROVIDERS line
 * it prints. This is what docs/hosting.md shows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { isGoPluginError } from '@qplugin/go-plugin';
import { PluginClient, reattachFromEnv, TF_REATTACH_PROVIDERS } from '@qplugin/go-plugin/host';
import { RpcError, Status } from '@qplugin/go-plugin/protocol';
import { expectNoProcesses, isAlive } from '@qplugin/go-plugin/testing';

import { KV } from '../src/generated/kv/kv_pb.js';
import { GO_DIR, goPeer, interopSkip } from '../src/support/go.js';

const skip = interopSkip();
const scratch = mkdtempSync(join(tmpdir(), 'qp-kv-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const handshake = { protocolVersion: 1, magicCookieKey: 'BASIC_PLUGIN', magicCookieValue: 'hello' };
const PROVIDER = 'qplugin.dev/interop/kv';
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** Starts the kv plugin in test mode and resolves with the TF_REATTACH_PROVIDERS value it prints. */
function startDebugPlugin(
  dir: string,
): Promise<{ child: ChildProcess; providers: string; exit: Promise<unknown> }> {
  const child = spawn(join(GO_DIR, 'bin', 'kv', 'debug-plugin'), [], {
    cwd: dir,
    env: { ...process.env, TMPDIR: dir },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      const line = out.slice(0, newline);
      const prefix = `${TF_REATTACH_PROVIDERS}=`;
      if (!line.startsWith(prefix)) reject(new Error(`unexpected first line: ${line}`));
      else resolve({ child, providers: line.slice(prefix.length), exit });
    });
    child.stdout!.once('end', () => reject(new Error(`debug-plugin printed no line: ${out}`)));
  });
}

describe('the Go kv plugin (go-plugin v1.8.0) under our host', { skip }, () => {
  it('start, put and get through code generated from kv.proto, kill', async () => {
    const { plugin } = goPeer('kv');
    const dir = mkdtempSync(join(scratch, 'run-'));
    const client = new PluginClient({ command: plugin, handshake, cwd: dir, unixSocket: { dir } });
    await client.start();
    const kv = client.client(KV);
    await kv.put({ key: 'hello', value: Buffer.from('world') }, { deadline: 5_000 });
    const expected = 'world\n\nWritten from the kv plugin (Go)';
    assert.equal(readFileSync(join(dir, 'kv_hello'), 'utf8'), expected);
    assert.equal(text((await kv.get({ key: 'hello' }, { deadline: 5_000 })).value), expected);
    await assert.rejects(
      kv.get({ key: 'missing' }),
      (err: unknown) =>
        err instanceof RpcError && err.code === Status.UNKNOWN && /kv_missing/.test(err.message),
    );
    const exit = await client.kill();
    assert.deepEqual(exit, { code: 0, signal: null });
    await expectNoProcesses(plugin);
  });

  it('reattaches from TF_REATTACH_PROVIDERS to a plugin in go-plugin test mode; kill() leaves it running', async () => {
    goPeer('kv');
    const dir = mkdtempSync(join(scratch, 'debug-'));
    const { child, providers, exit } = await startDebugPlugin(dir);
    try {
      const config = reattachFromEnv(PROVIDER, { env: { [TF_REATTACH_PROVIDERS]: providers } });
      assert.equal(config.pid, child.pid);
      assert.equal(config.test, true);
      assert.equal(config.addr.network, 'unix');

      const first = new PluginClient({ handshake, reattach: config });
      await first.start();
      assert.equal(first.negotiatedVersion, 1);
      await first.client(KV).put({ key: 'k', value: Buffer.from('v1') }, { deadline: 5_000 });
      assert.equal(await first.kill(), undefined, 'a test-mode plugin is only disconnected from');
      assert.ok(isAlive(child.pid!), 'the plugin still runs');
      await assert.rejects(
        first.client(KV).get({ key: 'k' }),
        (err: unknown) => err instanceof RpcError && err.code === Status.UNAVAILABLE,
      );

      const second = new PluginClient({ handshake, reattach: readAgain(providers) });
      await second.start();
      assert.match(text((await second.client(KV).get({ key: 'k' }, { deadline: 5_000 })).value), /^v1\n/);
      assert.equal(second.reattachConfig().test, true);
      child.kill('SIGTERM');
      assert.deepEqual(await exit, { code: 0, signal: null });
      await second.kill();

      const late = await new PluginClient({ handshake, reattach: config }).start().catch((e: unknown) => e);
      assert.ok(isGoPluginError(late, 'REATTACH_NOT_FOUND'), String(late));
    } finally {
      child.kill('SIGKILL');
      await exit;
    }
  });
});

/** The same provider read a second time, as a second host process would. */
function readAgain(providers: string): ReturnType<typeof reattachFromEnv> {
  return reattachFromEnv(undefined, { env: { [TF_REATTACH_PROVIDERS]: providers } });
}
