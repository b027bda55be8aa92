/**
 * The TS qlight token manager plugin under our TS host (PluginClient),
 * driven by the host-side TokenRefreshScheduler on a fake clock: the refresh
 * happens exactly at exp − anticipation, then is rescheduled from the new
 * token; failures are wrapped `refresh token: …` and retried.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { PluginClient } from '@qplugin/go-plugin/host';
import { RpcError, Status } from '@qplugin/go-plugin/protocol';
import { expectNoProcesses } from '@qplugin/go-plugin/testing';
import {
  InitializerGateway,
  QLightTokenManagerGateway,
  QUORUM_HANDSHAKE,
  TokenRefreshScheduler,
} from '@qplugin/quorum';
import { jwtExpiry, stripAuthScheme } from '@qplugin/quorum/internal';
import type { RefreshTimers } from '@qplugin/quorum/internal';

const PLUGIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const TOKEN = `--qp-test=${randomUUID()}`;
const scratch = mkdtempSync(join(tmpdir(), 'qp-qlight-'));
const SECRET = 'test-secret';
let client: PluginClient;

/** Timers that fire only when the test moves the clock. */
class FakeTimers implements RefreshTimers {
  private seq = 0;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    this.pending.set(++this.seq, { at: this.t + ms, callback });
    return this.seq;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get size(): number {
    return this.pending.size;
  }
  advanceTo(t: number): void {
    for (;;) {
      const due = [...this.pending].filter(([, p]) => p.at <= t).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].callback();
    }
    this.t = t;
  }
}

before(async () => {
  client = new PluginClient({
    command: process.execPath,
    args: [PLUGIN, TOKEN],
    handshake: QUORUM_HANDSHAKE,
    unixSocket: { dir: scratch },
  });
  await client.start();
});

after(async () => {
  await client?.kill();
  await expectNoProcesses(TOKEN);
  rmSync(scratch, { recursive: true, force: true });
});

describe('qlight token manager plugin', () => {
  it('rejects a config without refreshAnticipationInMillisecond', async () => {
    await assert.rejects(
      new InitializerGateway(client).init('n', Buffer.from('{"lifetimeSeconds":60}')),
      (e: unknown) =>
        e instanceof RpcError &&
        e.code === Status.INVALID_ARGUMENT &&
        /^refreshAnticipationInMillisecond: required/.test(e.details),
    );
  });

  it('refreshes at exp − anticipation, reschedules, stops, and wraps failures', async () => {
    const cfg = { refreshAnticipationInMillisecond: 10_000, lifetimeSeconds: 60, hmacSecret: SECRET };
    await new InitializerGateway(client).init('node-1', Buffer.from(JSON.stringify(cfg)));
    const gateway = new QLightTokenManagerGateway(client);
    assert.equal(await gateway.refreshAnticipation(), 10_000);

    const timers = new FakeTimers(Date.now());
    const refreshed: string[] = [];
    const failures: Error[] = [];
    let wake: () => void = () => {};
    const settled = (): Promise<void> => new Promise((resolve) => (wake = resolve));
    const scheduler = new TokenRefreshScheduler({
      gateway,
      token: '',
      psi: 'private',
      timers,
      retryMs: 1_000,
      onRefresh: (t) => (refreshed.push(t), wake()),
      onError: (e) => (failures.push(e), wake()),
    });
    await scheduler.start();
    assert.equal(scheduler.nextRefreshAt, timers.now(), 'no readable exp: refresh at once');

    let done = settled();
    timers.advanceTo(timers.now());
    await done;
    const first = refreshed[0]!;
    assert.match(first, /^Bearer /);
    const [header, payload, signature] = stripAuthScheme(first).split('.');
    assert.equal(createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url'), signature);
    assert.equal(JSON.parse(Buffer.from(payload!, 'base64url').toString()).psi, 'private');
    const due = jwtExpiry(first).getTime() - 10_000;
    assert.equal(scheduler.nextRefreshAt, due);

    timers.advanceTo(due - 1);
    assert.equal(refreshed.length, 1, 'not before exp − anticipation');
    done = settled();
    timers.advanceTo(due);
    await done;
    assert.equal(refreshed.length, 2);
    assert.equal(scheduler.token, refreshed[1]);
    assert.equal(scheduler.nextRefreshAt, jwtExpiry(refreshed[1]!).getTime() - 10_000);

    await client.kill();
    await assert.rejects(scheduler.refreshNow(), /^Error: refresh token: /);
    assert.match(failures[0]!.message, /^refresh token: /);
    assert.equal(scheduler.nextRefreshAt, timers.now() + 1_000, 'retried later');
    scheduler.stop();
    assert.equal(timers.size, 0, 'stop() leaves no timer behind');
    assert.equal(scheduler.nextRefreshAt, undefined);
  });
});
