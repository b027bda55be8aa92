/**
 * Signature verification: Quorum's own test vectors (utils_test `verify`),
 * GnuPG-made signatures checked by us (compatibility (a)), keyrings, trusted
 * fingerprints and clear errors for bad material; geth's resolveFilePath.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createLogger } from '@qplugin/go-plugin/protocol';
import type { LogLevel } from '@qplugin/go-plugin/protocol';

import {
  normalizeKeyFingerprint,
  resolveKeyPath,
  sha256Checksum,
  verifyChecksumSignature,
} from '../src/distribution/index.js';
import { Gpg, gpgAvailable } from './fixtures/distribution/gpg.js';
import { Scratch, rejectsWith } from './fixtures/distribution/support.js';

const scratch = new Scratch('qp-dist-verify-');
const VECTORS = fileURLToPath(new URL('../../test/fixtures/distribution/quorum-vectors/', import.meta.url));
const vector = (name: string): string => readFileSync(join(VECTORS, name), 'utf8');
const CHECKSUM = sha256Checksum(Buffer.from('a plugin zip'));

function capture(): { logger: ReturnType<typeof createLogger>; lines: Array<[LogLevel, string]> } {
  const lines: Array<[LogLevel, string]> = [];
  return {
    logger: createLogger((level, message) => lines.push([level, message]), { level: 'trace' }),
    lines,
  };
}

// §7 utils_test `verify`.
describe("Quorum's test vectors", () => {
  it('Bintray-signed checksum with Bintray RSA key', async () => {
    const check = await verifyChecksumSignature({
      checksum: '697dc791f0df55fbb86a7d985d29f23feff69e41681816a2c17352dcf10e693d',
      armoredSignature: vector('bintray-signature.asc'),
      armoredPublicKeys: vector('bintray-public-key.asc'),
    });
    // Bintray signed the checksum file, i.e. digest + "\n": geth's retry is what makes it pass.
    assert.equal(check.signedOver, 'checksum+newline');
    assert.equal(check.keyID, '379ce192d401ab61');
  });

  it('standard signer', async () => {
    const check = await verifyChecksumSignature({
      checksum: 'bf9a942afca462a9fb45f471f8d4db8c79cf332d',
      armoredSignature: vector('standard-signature.asc'),
      armoredPublicKeys: vector('standard-public-key.asc'),
    });
    assert.equal(check.signedOver, 'checksum');
    assert.equal(check.keyFingerprint, '1c6a5ba0f4e952861c7995f63c88144b7f184d28');
    assert.deepEqual(check.userIDs, ['TestKey <abc@test.com>']);
  });

  it('wrong public key', async () => {
    await rejectsWith(
      verifyChecksumSignature({
        checksum: 'bf9a942afca462a9fb45f471f8d4db8c79cf332d',
        armoredSignature: vector('standard-signature.asc'),
        armoredPublicKeys: vector('arbitrary-public-key.asc'),
      }),
      'VERIFY_SIGNATURE',
      /^unable to verify plugin signature: openpgp: signature made by unknown entity \(key ID 3c88144b7f184d28/,
    );
  });
});

describe(
  'GnuPG-made signatures (compatibility (a))',
  { skip: gpgAvailable() ? false : 'gpg is not installed' },
  () => {
    let gpg: Gpg;
    let fpr: string;
    let other: string;
    const work = scratch.sub('gpg-work');
    before(() => {
      gpg = new Gpg(scratch.sub('gpg'));
      fpr = gpg.generateKey('Plugin Publisher <publisher@example.com>');
      other = gpg.generateKey('Someone Else <else@example.com>');
    });
    after(() => gpg.close());

    it('a gpg --armor --detach-sign signature over the checksum verifies', async () => {
      const check = await verifyChecksumSignature({
        checksum: CHECKSUM,
        armoredSignature: gpg.detachSign(fpr, CHECKSUM, work),
        armoredPublicKeys: gpg.exportPublicKey(fpr),
      });
      assert.equal(check.signedOver, 'checksum');
      assert.equal(check.keyFingerprint, fpr.toLowerCase());
    });

    it('a signed checksum file (digest + newline) verifies through the retry, and the retry is logged', async () => {
      const { logger, lines } = capture();
      const check = await verifyChecksumSignature({
        checksum: CHECKSUM,
        armoredSignature: gpg.detachSign(fpr, `${CHECKSUM}\n`, work),
        armoredPublicKeys: gpg.exportPublicKey(fpr),
        logger,
      });
      assert.equal(check.signedOver, 'checksum+newline');
      assert.ok(
        lines.some(
          ([level, m]) =>
            level === 'debug' &&
            m.startsWith('unable to verify signature with original checksum. Now add \\n'),
        ),
      );
      assert.ok(lines.some(([level, m]) => level === 'info' && m === 'plugin signature verified'));
    });

    it('a keyring with several keys (one armored block, and concatenated blocks)', async () => {
      const signature = gpg.detachSign(fpr, CHECKSUM, work);
      const oneBlock = gpg.run(['--armor', '--export', other, fpr]).stdout;
      assert.equal((oneBlock.match(/BEGIN PGP PUBLIC KEY BLOCK/g) ?? []).length, 1);
      const concatenated = gpg.exportPublicKey(other) + gpg.exportPublicKey(fpr);
      for (const keys of [oneBlock, concatenated]) {
        const check = await verifyChecksumSignature({
          checksum: CHECKSUM,
          armoredSignature: signature,
          armoredPublicKeys: keys,
        });
        assert.equal(check.keyFingerprint, fpr.toLowerCase());
      }
    });

    it('a signing subkey is trusted through its primary key fingerprint', async () => {
      const g = new Gpg(scratch.sub('gpg-sub'));
      try {
        const primary = g.generateKey('Subkey Signer <sub@example.com>');
        const add = g.run(['--quick-add-key', primary, 'rsa3072', 'sign', 'never']);
        assert.equal(add.status, 0, add.stderr);
        const subFpr = g
          .run(['--with-colons', '--list-keys', primary])
          .stdout.split('\n')
          .filter((l) => l.startsWith('fpr:'))[1]
          ?.split(':')[9];
        assert.ok(subFpr);
        // "!" forces the subkey.
        const signature = g.detachSign(`${subFpr}!`, CHECKSUM, work);
        const check = await verifyChecksumSignature({
          checksum: CHECKSUM,
          armoredSignature: signature,
          armoredPublicKeys: g.exportPublicKey(primary),
          trustedKeyFingerprints: [primary],
        });
        assert.equal(check.keyFingerprint, primary.toLowerCase());
        assert.equal(check.signingKeyFingerprint, subFpr.toLowerCase());
      } finally {
        g.close();
      }
    });

    it('trustedKeyFingerprints: spaces, colons, case and 0x do not matter', async () => {
      const spaced = (fpr.match(/.{4}/g) ?? []).join(' ');
      const coloned = (fpr.toLowerCase().match(/../g) ?? []).join(':');
      for (const pin of [fpr, spaced, coloned, `0x${fpr}`]) {
        const check = await verifyChecksumSignature({
          checksum: CHECKSUM,
          armoredSignature: gpg.detachSign(fpr, CHECKSUM, work),
          armoredPublicKeys: gpg.exportPublicKey(fpr),
          trustedKeyFingerprints: [other, pin],
        });
        assert.equal(check.keyFingerprint, fpr.toLowerCase());
      }
    });

    it('a valid signature by a key that is not trusted is refused (central cannot vouch for itself)', async () => {
      const err = await rejectsWith(
        verifyChecksumSignature({
          checksum: CHECKSUM,
          armoredSignature: gpg.detachSign(other, CHECKSUM, work),
          armoredPublicKeys: gpg.exportPublicKey(other),
          trustedKeyFingerprints: [fpr],
        }),
        'VERIFY_KEY_NOT_TRUSTED',
        `signed by key ${other.toLowerCase()}, which is not in trustedKeyFingerprints`,
      );
      assert.deepEqual(err.details.signer, [other.toLowerCase()]);
    });

    it('a short key ID is not a fingerprint', async () => {
      await rejectsWith(
        verifyChecksumSignature({
          checksum: CHECKSUM,
          armoredSignature: gpg.detachSign(fpr, CHECKSUM, work),
          armoredPublicKeys: gpg.exportPublicKey(fpr),
          trustedKeyFingerprints: [fpr.slice(-16)],
        }),
        'VERIFY_MATERIAL',
        'invalid trusted key fingerprint',
      );
    });

    it('a signature over another checksum (tampered zip) fails', async () => {
      const tampered = sha256Checksum(Buffer.from('a plugin zip, modified'));
      await rejectsWith(
        verifyChecksumSignature({
          checksum: tampered,
          armoredSignature: gpg.detachSign(fpr, CHECKSUM, work),
          armoredPublicKeys: gpg.exportPublicKey(fpr),
        }),
        'VERIFY_SIGNATURE',
        /^unable to verify plugin signature: openpgp: invalid signature/,
      );
    });

    it('a binary (non-armored) key is refused, as geth refuses it', async () => {
      const binary = spawnSync('gpg', ['--homedir', gpg.home, '--batch', '--export', fpr]).stdout.toString(
        'latin1',
      );
      const err = await rejectsWith(
        verifyChecksumSignature({
          checksum: CHECKSUM,
          armoredSignature: gpg.detachSign(fpr, CHECKSUM, work),
          armoredPublicKeys: binary,
        }),
        'VERIFY_MATERIAL',
        'public key is not an ASCII-armored OpenPGP key',
      );
      assert.match(err.fix ?? '', /gpg --armor --export/);
    });

    it('a binary (non-armored) signature is refused', async () => {
      const file = join(work, 'bin.data');
      writeFileSync(file, CHECKSUM);
      gpg.run(['--local-user', fpr, '--detach-sign', '--output', `${file}.sig`, file]);
      await rejectsWith(
        verifyChecksumSignature({
          checksum: CHECKSUM,
          armoredSignature: readFileSync(`${file}.sig`, 'latin1'),
          armoredPublicKeys: gpg.exportPublicKey(fpr),
        }),
        'VERIFY_MATERIAL',
        'signature is not an ASCII-armored OpenPGP signature',
      );
    });

    it('a SHA-1 message signature is refused (policy beyond geth)', async () => {
      const file = join(work, 'sha1.data');
      writeFileSync(file, CHECKSUM);
      const r = gpg.run([
        '--local-user',
        fpr,
        '--digest-algo',
        'SHA1',
        '--armor',
        '--detach-sign',
        '--output',
        `${file}.asc`,
        file,
      ]);
      assert.equal(r.status, 0, r.stderr);
      await rejectsWith(
        verifyChecksumSignature({
          checksum: CHECKSUM,
          armoredSignature: readFileSync(`${file}.asc`, 'utf8'),
          armoredPublicKeys: gpg.exportPublicKey(fpr),
        }),
        'VERIFY_SIGNATURE',
        /Insecure message hash algorithm: SHA1/,
      );
    });
  },
);

// §7 utils_test resolveFilePath.
describe('resolveKeyPath (geth resolveFilePath)', () => {
  it('file://<abs> gives <abs>', () => {
    assert.equal(resolveKeyPath('file:///opt/geth/pubkey.pgp.asc'), '/opt/geth/pubkey.pgp.asc');
  });
  it('the scheme is ignored and host+path are joined', () => {
    assert.equal(resolveKeyPath('file://./keys/gpg.key', '/work'), '/work/keys/gpg.key');
    assert.equal(resolveKeyPath('https://keys/gpg.key', '/work'), '/work/keys/gpg.key');
    assert.equal(resolveKeyPath('relative/gpg.key', '/work'), '/work/relative/gpg.key');
    assert.equal(resolveKeyPath('/abs/gpg%20key', '/work'), '/abs/gpg key');
  });
  it('"://arbitrary non uri" is an error', () => {
    assert.throws(() => resolveKeyPath('://arbitrary non uri'), /missing protocol scheme/);
  });
  it('normalizeKeyFingerprint', () => {
    assert.equal(
      normalizeKeyFingerprint('1C6A 5BA0 F4E9 5286 1C79  95F6 3C88 144B 7F18 4D28'),
      '1c6a5ba0f4e952861c7995f63c88144b7f184d28',
    );
    assert.throws(() => normalizeKeyFingerprint('3C88144B7F184D28'), /invalid trusted key fingerprint/);
  });
});
