/**
 * qlight: the gateway (errors wrapped `refresh token: …`), JWT expiry
 * reading, and the refresh scheduler on fake timers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { RpcError, Status } from '@qplugin/go-plugin/protocol';
import type { Client } from '@qplugin/go-plugin/protocol';

import * as pb from '../src/generated/qlight_token_manager_pb.js';
import {
  QLightTokenManagerGateway,
  TokenRefreshScheduler,
  jwtExpiry,
  stripAuthScheme,
} from '../src/interfaces/index.js';
import type { RefreshTimers } from '../src/interfaces/index.js';

const jwt = (payload: object): string =>
  `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

class FakeTimers implements RefreshTimers {
  private seq = 0;
  readonly pending = new Map<number, { at: number; ms: number; callback: () => void }>();
  constructor(public t = 0) {}
  now = (): number => this.t;
  setTimeout = (callback: () => void, ms: number): unknown => {
    this.pending.set(++this.seq, { at: this.t + ms, ms, callback });
    return this.seq;
  };
  clearTimeout = (handle: unknown): void => void this.pending.delete(handle as number);
  /** Moves to `t`, firing what falls due in order. */
  advanceTo(t: number): void {
    for (;;) {
      const next = [...this.pending].filter(([, p]) => p.at <= t).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].callback();
    }
    this.t = t;
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('QLightTokenManagerGateway', () => {
  it('sends currentToken and psi, returns the token, wraps errors', async () => {
    const seen: unknown[] = [];
    let fail = false;
    const client: Client<typeof pb.PluginQLightTokenRefresher> = {
      pluginQLightTokenManager: async () =>
        create(pb.PluginQLightTokenManager_ResponseSchema, { refreshAnticipationInMillisecond: 250 }),
      tokenRefresh: async (req) => {
        seen.push([req.currentToken, req.psi]);
        if (fail) throw new RpcError(Status.INTERNAL, 'boom');
        return create(pb.TokenRefresh_ResponseSchema, { token: 'new' });
      },
    };
    const gw = new QLightTokenManagerGateway(() => client);
    assert.equal(await gw.refreshAnticipation(), 250);
    assert.equal(await gw.tokenRefresh('arbitrary msg', 'psi'), 'new');
    assert.deepEqual(seen, [['arbitrary msg', 'psi']]);
    fail = true;
    await assert.rejects(gw.tokenRefresh('t', 'psi'), {
      message: 'refresh token: rpc error: code = Internal desc = boom',
    });
  });
});

describe('jwtExpiry', () => {
  it('reads exp, with or without an authorization scheme', () => {
    const token = jwt({ exp: 1_700_000_000 });
    assert.equal(jwtExpiry(token).getTime(), 1_700_000_000_000);
    assert.equal(jwtExpiry(`Bearer ${token}`).getTime(), 1_700_000_000_000);
    assert.equal(stripAuthScheme(`bearer   ${token}`), token);
  });

  it('explains unreadable tokens', () => {
    assert.throws(() => jwtExpiry('abc'), /3 dot-separated parts/);
    assert.throws(() => jwtExpiry('a.%%%.c'), /payload is not base64url JSON/);
    assert.throws(() => jwtExpiry(jwt({ exp: '1' })), /no numeric exp/);
  });
});

describe('TokenRefreshScheduler', () => {
  function setup(expiries: number[], anticipation = 1_000) {
    const timers = new FakeTimers(10_000);
    const calls: string[] = [];
    let n = 0;
    const gateway = {
      refreshAnticipation: async () => anticipation,
      tokenRefresh: async (current: string) => {
        calls.push(current);
        const exp = expiries[n++];
        if (exp === undefined) throw new Error('refresh token: no more');
        return `Bearer ${jwt({ exp })}`;
      },
    };
    return { timers, calls, gateway };
  }

  it('schedules at exp − anticipation and chains refreshes', async () => {
    const { timers, calls, gateway } = setup([30, 50]);
    const first = `Bearer ${jwt({ exp: 20 })}`;
    const s = new TokenRefreshScheduler({ gateway, token: first, psi: 'p', timers });
    await s.start();
    assert.equal(s.nextRefreshAt, 19_000);
    timers.advanceTo(18_999);
    await flush();
    assert.deepEqual(calls, []);
    timers.advanceTo(19_000);
    await flush();
    assert.deepEqual(calls, [first]);
    assert.equal(s.nextRefreshAt, 29_000);
    timers.advanceTo(29_000);
    await flush();
    assert.equal(calls.length, 2);
    assert.equal(s.nextRefreshAt, 49_000);
    s.stop();
    assert.equal(timers.pending.size, 0);
  });

  it('clamps a past refresh time to now, and retries after a failure', async () => {
    const { timers, calls, gateway } = setup([]);
    const errors: string[] = [];
    const s = new TokenRefreshScheduler({
      gateway,
      token: jwt({ exp: 5 }),
      psi: 'p',
      timers,
      retryMs: 2_000,
      onError: (e) => errors.push(e.message),
    });
    await s.start();
    assert.equal(s.nextRefreshAt, 10_000, 'already past: now');
    timers.advanceTo(10_000);
    await flush();
    assert.equal(calls.length, 1);
    assert.deepEqual(errors, ['refresh token: no more']);
    assert.equal(s.nextRefreshAt, 12_000);
    s.stop();
    await assert.rejects(s.refreshNow(), /stopped/);
  });

  it('shares a refresh in flight and splits waits longer than setTimeout allows', async () => {
    const far = 10 + 40 * 86_400; // 40 days after the clock's start, in seconds
    const { timers, calls, gateway } = setup([far]);
    const s = new TokenRefreshScheduler({ gateway, token: '', psi: 'p', timers });
    const [a, b] = await Promise.all([s.refreshNow(), s.refreshNow()]);
    assert.equal(a, b);
    assert.equal(calls.length, 1);
    const due = far * 1000;
    assert.equal(s.nextRefreshAt, due);
    assert.ok([...timers.pending.values()].every((p) => p.ms <= 2 ** 31 - 1));
    timers.advanceTo(due - 1);
    await flush();
    assert.equal(calls.length, 1, 'the intermediate timer only re-arms');
    assert.equal(s.nextRefreshAt, due);
    s.stop();
  });
});
