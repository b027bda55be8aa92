/** checkVerifyFlags: geth's two forbidden combinations and the resulting verification mode. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { QuorumError } from '../src/errors.js';
import { checkVerifyFlags } from '../src/settings/index.js';

describe('checkVerifyFlags', () => {
  it('no flags → online verification through Plugin Central', () => {
    assert.equal(checkVerifyFlags({}), 'online');
    assert.equal(checkVerifyFlags({ skipVerify: false, localVerify: false }), 'online');
  });

  it('--plugins.skipverify → skip', () => {
    assert.equal(checkVerifyFlags({ skipVerify: true }), 'skip');
  });

  it('--plugins.localverify, with or without --plugins.publickey → local', () => {
    assert.equal(checkVerifyFlags({ localVerify: true }), 'local');
    assert.equal(
      checkVerifyFlags({ localVerify: true, publicKey: 'file:///opt/geth/pubkey.pgp.asc' }),
      'local',
    );
  });

  it('skipverify together with localverify is rejected with geth text', () => {
    assert.throws(
      () => checkVerifyFlags({ skipVerify: true, localVerify: true }),
      (err: unknown) =>
        err instanceof QuorumError &&
        err.code === 'SETTINGS_FLAGS' &&
        err.message.startsWith('only --plugins.skipverify or --plugins.localverify must be set (') &&
        err.details['skipVerify'] === true &&
        err.fix !== undefined,
    );
  });

  it('publickey without localverify is rejected with geth text, even when empty (geth checks IsSet)', () => {
    for (const flags of [
      { publicKey: 'file:///k.asc' },
      { publicKey: '' },
      { publicKey: 'k', skipVerify: true },
    ]) {
      assert.throws(
        () => checkVerifyFlags(flags),
        (err: unknown) =>
          err instanceof QuorumError &&
          err.code === 'SETTINGS_FLAGS' &&
          err.message.startsWith('--plugins.localverify is required for setting --plugins.publickey (') &&
          err.details['publicKey'] === flags.publicKey,
      );
    }
  });

  it('skip+local is reported before the publickey rule, as geth orders them', () => {
    assert.throws(() => checkVerifyFlags({ skipVerify: true, localVerify: true, publicKey: 'k' }), {
      message: /^only --plugins\.skipverify or --plugins\.localverify must be set/,
    });
  });
});
