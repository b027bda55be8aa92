/**
 * The keystore's unlock rules with an injected clock: a timed unlock ends
 * exactly at its deadline, duration 0 unlocks until Lock, and a timed unlock
 * never shortens an unlock until Lock (geth's keystore rules).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { RpcError, Status } from '@qplugin/go-plugin/protocol';

import { Keystore } from '../src/keystore.js';

const KEY = Buffer.from('b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291', 'hex');
const MS = 1_000_000n; // ns

const locked = (e: unknown): boolean =>
  e instanceof RpcError && e.code === Status.FAILED_PRECONDITION && /is locked/.test(e.details);

function setup(): { store: Keystore; address: Uint8Array; advance: (ms: number) => void } {
  let now = 1_700_000_000_000;
  const store = new Keystore(() => now);
  const { address } = store.import(KEY, 'secret');
  return { store, address, advance: (ms) => void (now += ms) };
}

describe('Keystore unlock rules (injected clock)', () => {
  it('a timed unlock signs until its deadline, not at it', () => {
    const { store, address, advance } = setup();
    const hash = randomBytes(32);
    store.timedUnlock(address, 'secret', 150n * MS);
    advance(149);
    assert.equal(store.sign(address, hash).length, 65);
    assert.equal(store.status(), 'ok: 1 account(s), 1 unlocked');
    advance(1);
    assert.throws(() => store.sign(address, hash), locked, 'the timed unlock ran out');
    assert.equal(store.status(), 'ok: 1 account(s), 0 unlocked');
  });
  it('duration 0 unlocks until Lock, and a later timed unlock does not shorten it', () => {
    const { store, address, advance } = setup();
    const hash = randomBytes(32);
    store.timedUnlock(address, 'secret', 0n);
    store.timedUnlock(address, 'secret', 10n * MS);
    advance(365 * 24 * 3600 * 1000);
    assert.equal(store.sign(address, hash).length, 65);
    store.lock(address);
    assert.throws(() => store.sign(address, hash), locked);
  });
  it('a new timed unlock replaces a running one', () => {
    const { store, address, advance } = setup();
    const hash = randomBytes(32);
    store.timedUnlock(address, 'secret', 100n * MS);
    advance(50);
    store.timedUnlock(address, 'secret', 100n * MS);
    advance(99);
    assert.equal(store.sign(address, hash).length, 65);
    advance(1);
    assert.throws(() => store.sign(address, hash), locked);
  });
  it('refuses a negative duration and a wrong passphrase', () => {
    const { store, address } = setup();
    assert.throws(
      () => store.timedUnlock(address, 'secret', -1n),
      (e: unknown) =>
        e instanceof RpcError &&
        e.code === Status.INVALID_ARGUMENT &&
        e.details === 'duration must not be negative, got -1 ns',
    );
    assert.throws(
      () => store.timedUnlock(address, 'wrong', 1n),
      (e: unknown) => e instanceof RpcError && e.code === Status.PERMISSION_DENIED,
    );
  });
});
