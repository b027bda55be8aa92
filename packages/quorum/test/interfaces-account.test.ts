/**
 * The account gateway against a recording fake (geth's account gateway_test
 * cases), key validation as crypto.HexToECDSA does it, URLs and addresses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { RpcError, Status, createLogger } from '@qplugin/go-plugin/protocol';
import type { Client } from '@qplugin/go-plugin/protocol';

import * as pb from '../src/generated/account_pb.js';
import {
  AccountGateway,
  INVALID_KEY_LENGTH,
  durationToNanos,
  encodeAccountConfig,
  formatAddress,
  parseAccountUrl,
  parseAddress,
  validateRawKey,
} from '../src/interfaces/index.js';
import { privateKeyToAddress } from '../src/interfaces/account-crypto.js';
import { SECP256K1_ORDER } from '../src/interfaces/account-keys.js';

type AccountClient = Client<typeof pb.AccountService>;
const ADDR = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const ADDR_HEX = '0x0102030405060708090a0b0c0d0e0f1011121314';
const wire = (address: Uint8Array, url: string) => ({ address, url });

/** A fake plugin recording each request as plain JSON-able data. */
function fake(overrides: Partial<AccountClient> = {}): { client: AccountClient; calls: [string, unknown][] } {
  const calls: [string, unknown][] = [];
  const rec = (name: string, req: object): void => {
    const plain = Object.fromEntries(
      Object.entries(req).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v]),
    );
    calls.push([name, plain]);
  };
  const client: AccountClient = {
    status: async (r) => (rec('status', r), create(pb.StatusResponseSchema, { status: 'fine' })),
    open: async (r) => (rec('open', r), create(pb.OpenResponseSchema)),
    close: async (r) => (rec('close', r), create(pb.CloseResponseSchema)),
    accounts: async (r) => (
      rec('accounts', r),
      create(pb.AccountsResponseSchema, { accounts: [wire(ADDR, 'http://myurl:8000')] })
    ),
    contains: async (r) => (rec('contains', r), create(pb.ContainsResponseSchema, { isContained: true })),
    sign: async (r) => (rec('sign', r), create(pb.SignResponseSchema, { sig: Buffer.from('sig') })),
    unlockAndSign: async (r) => (
      rec('unlockAndSign', r),
      create(pb.SignResponseSchema, { sig: Buffer.from('sig2') })
    ),
    timedUnlock: async (r) => (rec('timedUnlock', r), create(pb.TimedUnlockResponseSchema)),
    lock: async (r) => (rec('lock', r), create(pb.LockResponseSchema)),
    newAccount: async (r) => (
      rec('newAccount', r),
      create(pb.NewAccountResponseSchema, { account: wire(ADDR, 'inmemory://x') })
    ),
    importRawKey: async (r) => (
      rec('importRawKey', r),
      create(pb.ImportRawKeyResponseSchema, { account: wire(ADDR, 'inmemory://y') })
    ),
    ...overrides,
  };
  return { client, calls };
}

const hex = (s: string): string => Buffer.from(s).toString('hex');

describe('AccountGateway', () => {
  it('maps every call onto the wire as geth does', async () => {
    const { client, calls } = fake();
    const gw = new AccountGateway(() => client);
    assert.equal(await gw.status(), 'fine');
    await gw.open('pass');
    await gw.close();
    assert.deepEqual(await gw.accounts(), [{ address: ADDR_HEX, url: 'http://myurl:8000' }]);
    assert.equal(await gw.contains(ADDR_HEX), true);
    assert.equal(Buffer.from(await gw.sign(ADDR, Buffer.from('data'))).toString(), 'sig');
    assert.equal(Buffer.from(await gw.unlockAndSign(ADDR_HEX, Buffer.from('data'), 'pw')).toString(), 'sig2');
    await gw.timedUnlock(ADDR, 'pw', 1n);
    await gw.timedUnlock(ADDR, 'pw', 1500);
    await gw.lock(ADDR);
    assert.deepEqual(await gw.newAccount({ passphrase: 'p' }), { address: ADDR_HEX, url: 'inmemory://x' });
    const key = '1'.repeat(64);
    assert.deepEqual(await gw.importRawKey(key, Buffer.from('cfg')), {
      address: ADDR_HEX,
      url: 'inmemory://y',
    });
    const a = ADDR_HEX.slice(2);
    assert.deepEqual(calls, [
      ['status', {}],
      ['open', { passphrase: 'pass' }],
      ['close', {}],
      ['accounts', {}],
      ['contains', { address: a }],
      ['sign', { address: a, toSign: hex('data') }],
      ['unlockAndSign', { address: a, toSign: hex('data'), passphrase: 'pw' }],
      ['timedUnlock', { address: a, password: 'pw', duration: 1n }],
      ['timedUnlock', { address: a, password: 'pw', duration: 1_500_000_000n }],
      ['lock', { address: a }],
      ['newAccount', { newAccountConfig: hex('{"passphrase":"p"}') }],
      // Go's json.Marshal of []byte: a base64 string.
      ['importRawKey', { rawKey: key, newAccountConfig: hex('"Y2Zn"') }],
    ]);
  });

  it('accounts() skips invalid entries and, like contains(), swallows errors (logged)', async () => {
    const logs: string[] = [];
    const logger = createLogger((level, message) => logs.push(`${level} ${message}`));
    const { client } = fake({
      accounts: async () =>
        create(pb.AccountsResponseSchema, {
          accounts: [wire(new Uint8Array(19), 'a://b'), wire(ADDR, '://noscheme:8000'), wire(ADDR, 'a://b')],
        }),
    });
    assert.deepEqual(await new AccountGateway(() => client, { logger }).accounts(), [
      { address: ADDR_HEX, url: 'a://b' },
    ]);
    assert.equal(logs.length, 2);
    const failing = fake({
      accounts: () => Promise.reject(new RpcError(Status.UNAVAILABLE, 'down')),
      contains: () => Promise.reject(new RpcError(Status.UNAVAILABLE, 'down')),
    }).client;
    const gw = new AccountGateway(() => failing, { logger });
    assert.deepEqual(await gw.accounts(), []);
    assert.equal(await gw.contains(ADDR), false);
    assert.equal(logs.filter((l) => l.startsWith('error ')).length, 4);
  });

  it('checks the key before calling the plugin, and the account the plugin returns', async () => {
    const { client, calls } = fake({
      newAccount: async () =>
        create(pb.NewAccountResponseSchema, { account: wire(new Uint8Array(21), 'a://b') }),
    });
    const gw = new AccountGateway(() => client);
    await assert.rejects(gw.importRawKey('aaaaaa', {}), { message: INVALID_KEY_LENGTH });
    assert.deepEqual(calls, []);
    await assert.rejects(gw.newAccount({}), /^Error: invalid account address returned from plugin: 0x0{42}$/);
    await assert.rejects(gw.timedUnlock(ADDR, 'pw', -1), RangeError);
    await assert.rejects(gw.sign('0x1234', new Uint8Array(32)), /invalid address/);
  });
});

describe('account helpers', () => {
  it('validateRawKey follows crypto.HexToECDSA', () => {
    assert.throws(() => validateRawKey('aaaaaa'), { message: INVALID_KEY_LENGTH });
    assert.throws(() => validateRawKey(''), { message: INVALID_KEY_LENGTH });
    assert.throws(() => validateRawKey(`0x${'1'.repeat(64)}`), /invalid hex character "x" in private key/);
    assert.throws(() => validateRawKey('zz'), /invalid hex character "z"/);
    assert.throws(() => validateRawKey('abc'), /odd number of digits/);
    assert.throws(() => validateRawKey('0'.repeat(64)), /zero/);
    assert.throws(() => validateRawKey('f'.repeat(64)), /curve order/);
    assert.equal(validateRawKey('A'.repeat(64)).length, 32);
  });

  it("the key range ends at secp256k1's order, the same number as noble's", () => {
    assert.equal(SECP256K1_ORDER, secp256k1.Point.Fn.ORDER);
    const hex = (n: bigint) => n.toString(16).padStart(64, '0');
    assert.equal(validateRawKey(hex(SECP256K1_ORDER - 1n)).length, 32);
    assert.throws(() => validateRawKey(hex(SECP256K1_ORDER)), /not below the secp256k1 curve order/);
  });

  it('addresses: lower-case 0x text, 20 bytes; a known key gives its known address', () => {
    assert.equal(formatAddress(ADDR), ADDR_HEX);
    assert.deepEqual(parseAddress(ADDR_HEX.toUpperCase().replace('0X', '0x')), ADDR);
    assert.throws(() => parseAddress('0x12'), /invalid address/);
    assert.equal(
      privateKeyToAddress(
        Buffer.from('289c2857d4598e37fb9647507e47a309d6133539bf21a8b9cb6df88fd5232032', 'hex'),
      ),
      '0x970e8128ab834e8eac17ab8e3812f010678cf791',
    );
  });

  it('URLs are scheme://path', () => {
    assert.deepEqual(parseAccountUrl('http://myurl:8000'), { scheme: 'http', path: 'myurl:8000' });
    assert.throws(() => parseAccountUrl('://noscheme:8000'), /missing protocol scheme/);
    assert.throws(() => parseAccountUrl(''), /missing protocol scheme/);
  });

  it("durations and config encoding follow Go's types", () => {
    assert.equal(durationToNanos(0), 0n);
    assert.equal(durationToNanos(0.5), 500_000n);
    assert.throws(() => durationToNanos(2n ** 63n), RangeError);
    assert.throws(() => durationToNanos(Number.NaN), RangeError);
    assert.equal(Buffer.from(encodeAccountConfig(undefined)).toString(), 'null');
    assert.equal(Buffer.from(encodeAccountConfig({ k: new Uint8Array([1, 2]) })).toString(), '{"k":"AQI="}');
  });
});
