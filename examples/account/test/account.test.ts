/**
 * The TS account plugin under our TS host (PluginClient), through the
 * host-side AccountGateway: create/import, list, unlock rules, and signatures
 * that recover to the account's address.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { PluginClient } from '@qplugin/go-plugin/host';
import { RpcError, Status, createLogger } from '@qplugin/go-plugin/protocol';
import { expectNoProcesses } from '@qplugin/go-plugin/testing';
import { AccountGateway, InitializerGateway, QUORUM_HANDSHAKE } from '@qplugin/quorum';
import { privateKeyToAddress, recoverAddress } from '@qplugin/quorum/account-crypto/internal';
import { INVALID_KEY_LENGTH } from '@qplugin/quorum/internal';

const PLUGIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const TOKEN = `--qp-test=${randomUUID()}`;
const scratch = mkdtempSync(join(tmpdir(), 'qp-account-'));
const KEY = 'b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291';
const errors: string[] = [];
let client: PluginClient;
let accounts: AccountGateway;

const status = (code: Status, details?: RegExp) => (e: unknown) =>
  e instanceof RpcError && e.code === code && (!details || details.test(e.details));

before(async () => {
  client = new PluginClient({
    command: process.execPath,
    args: [PLUGIN, TOKEN],
    handshake: QUORUM_HANDSHAKE,
    unixSocket: { dir: scratch },
  });
  await client.start();
  await new InitializerGateway(client).init('node-1', new Uint8Array());
  const logger = createLogger((_level, message, _module, fields) =>
    errors.push(`${message}: ${String(fields.err)}`),
  );
  accounts = new AccountGateway(client, { logger });
});

after(async () => {
  await client?.kill();
  await expectNoProcesses(TOKEN);
  rmSync(scratch, { recursive: true, force: true });
});

describe('account plugin through AccountGateway', () => {
  it('rejects unknown Init settings', async () => {
    const init = new InitializerGateway(client);
    await assert.rejects(
      init.init('n', Buffer.from('{"keystore":"x"}')),
      status(Status.INVALID_ARGUMENT, /^config: unknown key "keystore"/),
    );
  });

  it('creates and imports accounts; lists and finds them', async () => {
    await accounts.open('ignored');
    const created = await accounts.newAccount({ passphrase: 'pw' });
    assert.match(created.address, /^0x[0-9a-f]{40}$/);
    assert.equal(created.url, `inmemory://${created.address}`);
    const imported = await accounts.importRawKey(KEY, { passphrase: 'secret' });
    assert.equal(imported.address, privateKeyToAddress(Buffer.from(KEY, 'hex')));
    await assert.rejects(accounts.importRawKey(KEY, {}), status(Status.ALREADY_EXISTS));
    await assert.rejects(accounts.importRawKey('aaaaaa', {}), { message: INVALID_KEY_LENGTH });
    assert.deepEqual(await accounts.accounts(), [created, imported]);
    assert.equal(await accounts.contains(imported.address.toUpperCase().replace('0X', '0x')), true);
    assert.equal(await accounts.contains(randomBytes(20)), false);
    assert.equal(await accounts.status(), 'ok: 2 account(s), 0 unlocked');
    await accounts.close();
  });

  it('checks newAccountConfig', async () => {
    await assert.rejects(
      accounts.newAccount({ passphrase: 5 }),
      status(Status.INVALID_ARGUMENT, /passphrase: must be a string/),
    );
    // Go's json.Marshal turns []byte into a base64 string, which is not an object.
    await assert.rejects(
      accounts.newAccount(Buffer.from('{}')),
      status(Status.INVALID_ARGUMENT, /must be a JSON object/),
    );
  });

  it('signs only when unlocked; signatures recover to the account', async () => {
    const address = privateKeyToAddress(Buffer.from(KEY, 'hex'));
    const hash = randomBytes(32);
    await assert.rejects(accounts.sign(address, hash), status(Status.FAILED_PRECONDITION, /is locked/));
    await assert.rejects(accounts.unlockAndSign(address, hash, 'wrong'), status(Status.PERMISSION_DENIED));
    const once = await accounts.unlockAndSign(address, hash, 'secret');
    assert.equal(once.length, 65);
    assert.ok(once[64]! <= 1, 'V is 0 or 1');
    assert.equal(recoverAddress(hash, once), address);
    await assert.rejects(
      accounts.sign(address, hash),
      status(Status.FAILED_PRECONDITION),
      'UnlockAndSign leaves it locked',
    );

    await accounts.timedUnlock(address, 'secret', 0);
    assert.equal(recoverAddress(hash, await accounts.sign(address, hash)), address);
    assert.equal(await accounts.status(), 'ok: 2 account(s), 1 unlocked');
    await accounts.lock(address);
    await assert.rejects(accounts.sign(address, hash), status(Status.FAILED_PRECONDITION));

    // When a timed unlock runs out is tested with an injected clock (keystore.test.ts).
    await accounts.timedUnlock(address, 'secret', 10n ** 12n);
    await accounts.sign(address, hash);
    await accounts.lock(address);
    await assert.rejects(accounts.sign(address, randomBytes(31)), status(Status.FAILED_PRECONDITION));
    await accounts.timedUnlock(address, 'secret', 10n ** 12n);
    await assert.rejects(
      accounts.sign(address, randomBytes(31)),
      status(Status.INVALID_ARGUMENT, /32-byte hash/),
    );
    await assert.rejects(accounts.lock(randomBytes(20)), status(Status.NOT_FOUND, /unknown account/));
  });

  it('accounts() and contains() swallow failures once the plugin is gone', async () => {
    await client.kill();
    errors.length = 0;
    assert.deepEqual(await accounts.accounts(), []);
    assert.equal(await accounts.contains(randomBytes(20)), false);
    assert.equal(errors.length, 2, errors.join('\n'));
  });
});
