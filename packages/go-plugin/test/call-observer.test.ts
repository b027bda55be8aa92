/**
 * The call observer of PluginClient and PluginSupervisor, with real plugin
 * processes: every call reported once with its method, final status and a
 * duration; calls the supervisor fails itself reported too; an observer that
 * throws changes nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

import { PluginClient } from '../src/host/client.js';
import { PluginSupervisor } from '../src/host/supervisor.js';
import type { CallEvent } from '../src/protocol/call-observer.js';
import { Health } from '../src/protocol/builtins.js';
import { RpcError, Status } from '../src/protocol/rpc-error.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { expectNoProcesses } from '../src/testing/process.js';
import { Scratch } from './support/scratch.js';

const scratch = new Scratch('qp-observer-');
const TOKEN = `--qp-test=${randomUUID()}`;
const MINIMAL = fileURLToPath(new URL('./fixtures/minimal-plugin.js', import.meta.url));
const handshake = { protocolVersion: 1, magicCookieKey: 'FIXTURE_COOKIE', magicCookieValue: 'fixture' };
const CHECK = '/grpc.health.v1.Health/Check';
const WATCH = '/grpc.health.v1.Health/Watch';

after(() => expectNoProcesses(TOKEN));

const options = (callObserver: (e: CallEvent) => void) => ({
  command: process.execPath,
  args: [MINIMAL, TOKEN],
  handshake,
  unixSocket: { dir: scratch.dir },
  callObserver,
});

describe('call observer', () => {
  it('PluginClient: each call once, with its method, status and duration; none for Shutdown', async () => {
    const events: CallEvent[] = [];
    const client = new PluginClient(options((e) => events.push(e)));
    await client.start();
    await client.ping();
    await assert.rejects(client.client(Health).check({ service: 'no-such-service' }), RpcError);
    // A server-streaming call ended by the caller: reported when it ends.
    const stop = new AbortController();
    const watch = client.client(Health).watch({ service: 'plugin' }, { signal: stop.signal });
    await assert.rejects(
      (async () => {
        for await (const _ of watch) stop.abort();
      })(),
      (e: unknown) => e instanceof RpcError && e.code === Status.CANCELLED,
    );
    const exit = await client.kill();
    assert.deepEqual(exit, { code: 0, signal: null });
    // After the plugin is gone: rejected before the wire, still reported.
    await assert.rejects(
      client.ping(),
      (e: unknown) => e instanceof RpcError && e.code === Status.UNAVAILABLE,
    );
    assert.deepEqual(
      events.map((e) => [e.method, Status[e.code]]),
      [
        [CHECK, 'OK'],
        [CHECK, 'NOT_FOUND'],
        [WATCH, 'CANCELLED'],
        [CHECK, 'UNAVAILABLE'],
      ],
    );
    for (const e of events) assert.ok(e.durationMs >= 0 && Number.isFinite(e.durationMs));
  });

  it('an observer that throws does not change any call', async () => {
    const client = new PluginClient(
      options(() => {
        throw new Error('observer bug');
      }),
    );
    await client.start();
    await client.ping();
    await assert.rejects(client.client(Health).check({ service: 'nope' }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, Status.NOT_FOUND);
      return true;
    });
    await client.kill();
  });

  it('PluginSupervisor: calls reaching a process are reported by its client, calls it fails itself by the supervisor', async () => {
    const events: CallEvent[] = [];
    const clock = new ManualClock();
    const sup = new PluginSupervisor({
      name: 'minimal',
      client: { ...options(() => assert.fail('the supervisor’s observer wins')), callObserver: undefined },
      callObserver: (e) => events.push(e),
      clock,
      healthIntervalMs: 0,
    });
    // Not started yet: fails at once, reported.
    await assert.rejects(sup.client(Health).check({ service: 'plugin' }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, Status.UNAVAILABLE);
      return true;
    });
    await sup.start();
    await sup.client(Health).check({ service: 'plugin' });
    await sup.stop();
    await assert.rejects(sup.client(Health).check({ service: 'plugin' }), RpcError);
    assert.deepEqual(
      events.map((e) => [e.method, Status[e.code]]),
      [
        [CHECK, 'UNAVAILABLE'],
        [CHECK, 'OK'],
        [CHECK, 'UNAVAILABLE'],
      ],
    );
  });
});
