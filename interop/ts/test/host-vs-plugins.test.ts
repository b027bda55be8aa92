/**
 * Issue 4's proof: our TypeScript host (PluginClient) runs real Go plugins
 * built with go-plugin v1.0.1, v1.2.2 and v1.8.0, and our own TS plugins,
 * with Quorum's handshake.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { PluginClient } from '@qplugin/go-plugin/host';
import type { PluginClientOptions } from '@qplugin/go-plugin/host';
import { createLogger, RpcError, Status, service } from '@qplugin/go-plugin/protocol';
import type { LogLevel } from '@qplugin/go-plugin/protocol';
import { expectNoProcesses, isAlive, waitUntil } from '@qplugin/go-plugin/testing';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum';

import { Callback, Interop } from '../src/generated/interop_pb.js';
import { GO_PLUGIN_VERSIONS, goPeer, interopSkip } from '../src/support/go.js';
import { HELLOWORLD_PLUGIN, INTEROP_PLUGIN } from '../src/support/paths.js';
import { acceptedConnections } from '../src/support/sockets.js';

const skip = interopSkip();
const scratch = mkdtempSync(join(tmpdir(), 'qp-host-it-'));
/** Extra argv marking this file's plugin processes (test files run in parallel). */
const TOKEN = `--qp-test=${randomUUID()}`;
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Line {
  level: LogLevel;
  message: string;
}

/** A client for `argv` with the plugin's TMPDIR and our socket dir in a fresh scratch dir. */
function client(
  argv: string[],
  extra: Partial<PluginClientOptions> = {},
): { c: PluginClient; logs: Line[]; dir: string } {
  const dir = mkdtempSync(join(scratch, 'run-'));
  const logs: Line[] = [];
  const c = new PluginClient({
    command: argv[0]!,
    args: [...argv.slice(1), TOKEN],
    handshake: QUORUM_HANDSHAKE,
    env: { TMPDIR: dir },
    unixSocket: { dir },
    logger: createLogger((level, message) => logs.push({ level, message }), { level: 'trace' }),
    ...extra,
  });
  return { c, logs, dir };
}

async function helloWorld(c: PluginClient): Promise<void> {
  await c
    .client(PluginInitializer)
    .init({ hostIdentity: 'node-1', rawConfiguration: Buffer.from('{"language":"es"}') });
  assert.equal((await c.client(PluginGreeting).greeting({ msg: 'Quorum' })).msg, 'Hola Quorum!');
  await assert.rejects(
    c.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"fr"}') }),
    (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, Status.INVALID_ARGUMENT);
      assert.equal(e.message, 'rpc error: code = InvalidArgument desc = unsupported language: [fr]');
      return true;
    },
  );
}

/**
 * Every call, the stdio and broker streams included, shares one connection,
 * as with go-plugin's own host. (A second one still in its TLS handshake
 * when Shutdown came held a Go plugin's exit back: grpc-go's Stop waits for it.)
 */
async function assertOneConnection(c: PluginClient): Promise<void> {
  const n = acceptedConnections(c.reattachConfig().addr.address);
  if (n === undefined || n === 1) return;
  await c.kill(); // a failure leaves no plugin behind to hold the test run open
  assert.equal(n, 1, 'connections the plugin accepted');
}

/** Kill must be graceful and leave no process, socket or directory. */
async function killCleanly(run: { c: PluginClient; logs: Line[]; dir: string }): Promise<void> {
  const exit = await run.c.kill();
  assert.deepEqual(exit, { code: 0, signal: null }, 'exited by itself after Shutdown');
  assert.ok(!run.logs.some((l) => l.message === 'plugin failed to exit gracefully'));
  assert.ok(!isAlive(run.c.pid));
  await expectNoProcesses(TOKEN);
  assert.deepEqual(readdirSync(run.dir), [], 'no socket or directory left');
}

for (const version of GO_PLUGIN_VERSIONS) {
  describe(`TS host with a go-plugin ${version} Go plugin`, { skip }, () => {
    const variants = [
      { autoMTLS: true, label: 'on (our P-256 certificate)' },
      { autoMTLS: true, certificateCurve: 'P-521' as const, label: "on (go-plugin's P-521 certificate)" },
      { autoMTLS: false, label: 'off' },
    ];
    for (const { label, ...options } of variants) {
      it(`Init + Greeting round trip, AutoMTLS ${label}`, async () => {
        const argv = [goPeer(version).plugin];
        const run = client(argv, options);
        await run.c.start();
        assert.equal(run.c.negotiatedVersion, 1);
        await run.c.ping();
        await helloWorld(run.c);
        await assertOneConnection(run.c);
        if (version === 'v1.0.1') {
          await waitUntil(
            () =>
              run.logs.some(
                (l) => l.message === 'stdio service not available, stdout/stderr syncing unavailable',
              ),
            5000,
            'stdio warning',
          );
        }
        await killCleanly(run);
      });
    }
  });
}

/** Broker round trips and stdout through a plugin that serves Interop. */
async function interopFeatures(argv: string[], multiplex: boolean): Promise<void> {
  const chunks: Buffer[] = [];
  const run = client(argv, { multiplex, stdout: { write: (b: Uint8Array) => chunks.push(Buffer.from(b)) } });
  await run.c.start();
  const interop = run.c.client(Interop);
  await interop.print({ stdout: 'hello from the plugin\n' });
  await waitUntil(
    () => Buffer.concat(chunks).toString() === 'hello from the plugin\n',
    5000,
    'stdout in the sink',
  );
  // The stdio stream is up (it carried the output): still one connection.
  await assertOneConnection(run.c);

  // Host serves a callback, plugin dials it.
  const id = run.c.broker.nextId();
  await run.c.broker.acceptAndServe(id, [
    service(Callback, { echo: (r) => ({ text: `host echo: ${r.text}` }) }),
  ]);
  assert.equal((await interop.callBack({ brokerId: id, text: 'ping-pong' })).text, 'host echo: ping-pong');

  // Plugin serves, host dials.
  const { brokerId } = await interop.serveCallback({});
  const conn = await run.c.broker.dial(brokerId);
  assert.equal((await conn.client(Callback).echo({ text: 'knock' })).text, 'plugin echo: knock');
  conn.close();
  await killCleanly(run);
}

describe('TS host broker and stdio with a go-plugin v1.8.0 Go plugin', { skip }, () => {
  for (const multiplex of [false, true]) {
    it(`callbacks both ways and stdout (${multiplex ? 'multiplexed' : 'socket per brokered server'})`, () =>
      interopFeatures([goPeer('v1.8.0').plugin], multiplex));
  }
});

describe('TS host with TS plugins', () => {
  it('hello world example: Init + Greeting', async () => {
    const argv = [process.execPath, HELLOWORLD_PLUGIN];
    const run = client(argv);
    await run.c.start();
    await helloWorld(run.c);
    await killCleanly(run);
  });
  for (const multiplex of [false, true]) {
    it(`interop plugin: callbacks both ways and stdout (${multiplex ? 'multiplexed' : 'socket per brokered server'})`, () =>
      interopFeatures([process.execPath, INTEROP_PLUGIN], multiplex));
  }
});
