/**
 * Signatures made by signChecksum()/generateSigningKey(): checked by us, by
 * Quorum's own verifier (x/crypto/openpgp v0.21.0, built from
 * interop/go/openpgp-check; compatibility (b)) and by GnuPG (compatibility (c)).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  generateSigningKey,
  sha256Checksum,
  signChecksum,
  verifyChecksumSignature,
} from '../src/distribution/index.js';
import type { SigningKeyPair } from '../src/distribution/index.js';
import { Gpg, gpgAvailable } from './fixtures/distribution/gpg.js';
import { buildOpenpgpCheck, runOpenpgpCheck } from './fixtures/distribution/interop.js';
import { Scratch, rejectsWith } from './fixtures/distribution/support.js';

const scratch = new Scratch('qp-dist-signing-');
const VECTORS = fileURLToPath(new URL('../../test/fixtures/distribution/quorum-vectors/', import.meta.url));
const CHECKSUM = sha256Checksum(Buffer.from('a plugin zip'));

describe('our signatures', () => {
  let pair: SigningKeyPair;
  const work = scratch.sub('ours');
  before(async () => {
    pair = await generateSigningKey({ name: 'Plugin Publisher', email: 'publisher@example.com' });
  });

  it('generateSigningKey makes an RSA-3072 key and signChecksum a detached armored signature', async () => {
    assert.match(pair.publicKey, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    assert.match(pair.fingerprint, /^[0-9a-f]{40}$/);
    const signature = await signChecksum(CHECKSUM, pair.privateKey);
    assert.match(signature, /^-----BEGIN PGP SIGNATURE-----/);
    const check = await verifyChecksumSignature({
      checksum: CHECKSUM,
      armoredSignature: signature,
      armoredPublicKeys: pair.publicKey,
      trustedKeyFingerprints: [pair.fingerprint],
    });
    assert.equal(check.signedOver, 'checksum');
    assert.equal(check.keyFingerprint, pair.fingerprint);
    const spawned = spawnSync('sh', ['-c', 'cat | gpg --list-packets 2>/dev/null'], {
      input: pair.publicKey,
      encoding: 'utf8',
    });
    if (spawned.status === 0) assert.match(spawned.stdout, /pkey\[0\]: \[3072 bits\]/);
  });

  it('generateSigningKey refuses what openpgp cannot make with SIGNING_INPUT, naming the value and the fix', async () => {
    const badEmail = await rejectsWith(
      generateSigningKey({ name: 'Publisher', email: 'two words@example.com' }),
      'SIGNING_INPUT',
      '"Publisher" <two words@example.com>: openpgp refuses that user ID',
    );
    assert.match(String(badEmail.fix), /name@example\.com/);
    assert.deepEqual(badEmail.details, { name: 'Publisher', email: 'two words@example.com', rsaBits: 3072 });
    const small = await rejectsWith(
      generateSigningKey({ name: 'P', email: 'p@example.com', rsaBits: 1024 }),
      'SIGNING_INPUT',
      'cannot make a 1024-bit RSA signing key',
    );
    assert.match(String(small.fix), /2048 to 4096/);
  });

  it('a passphrase-protected key signs with its passphrase', async () => {
    const locked = await generateSigningKey({
      name: 'Locked',
      email: 'locked@example.com',
      passphrase: 'secret',
      rsaBits: 2048,
    });
    await rejectsWith(signChecksum(CHECKSUM, locked.privateKey), 'VERIFY_MATERIAL', 'no passphrase');
    const signature = await signChecksum(CHECKSUM, locked.privateKey, { passphrase: 'secret' });
    const check = await verifyChecksumSignature({
      checksum: CHECKSUM,
      armoredSignature: signature,
      armoredPublicKeys: locked.publicKey,
    });
    assert.equal(check.keyFingerprint, locked.fingerprint);
  });

  describe("(b) Quorum's verifier (x/crypto/openpgp v0.21.0) accepts them", () => {
    const built = buildOpenpgpCheck(scratch.sub('go'));
    const skip = 'skip' in built ? built.skip : false;

    it('signature over the checksum', { skip }, async () => {
      if (!('path' in built)) return;
      const key = join(work, 'gpg.key');
      const sig = join(work, 'b.asc');
      const data = join(work, 'b.data');
      writeFileSync(key, pair.publicKey);
      writeFileSync(sig, await signChecksum(CHECKSUM, pair.privateKey));
      writeFileSync(data, CHECKSUM);
      const r = runOpenpgpCheck(built.path, key, sig, data);
      assert.equal(r.status, 0, r.output);
      assert.equal(r.output, `ok ${pair.fingerprint.slice(-16).toUpperCase()} checksum`);
    });

    it('signature over checksum + newline passes through geth-style retry', { skip }, async () => {
      if (!('path' in built)) return;
      const key = join(work, 'gpg.key');
      const sig = join(work, 'bn.asc');
      const data = join(work, 'bn.data');
      writeFileSync(key, pair.publicKey);
      writeFileSync(sig, await signChecksum(CHECKSUM, pair.privateKey, { trailingNewline: true }));
      writeFileSync(data, CHECKSUM);
      const r = runOpenpgpCheck(built.path, key, sig, data);
      assert.equal(r.status, 0, r.output);
      assert.match(r.output, / checksum\+newline$/);
    });

    it('and rejects them over another checksum or with another key', { skip }, async () => {
      if (!('path' in built)) return;
      const key = join(work, 'gpg.key');
      const sig = join(work, 'bt.asc');
      const data = join(work, 'bt.data');
      writeFileSync(key, pair.publicKey);
      writeFileSync(sig, await signChecksum(CHECKSUM, pair.privateKey));
      writeFileSync(data, sha256Checksum(Buffer.from('tampered')));
      const tampered = runOpenpgpCheck(built.path, key, sig, data);
      assert.equal(tampered.status, 1);
      assert.match(tampered.output, /openpgp: invalid signature/);
      writeFileSync(data, CHECKSUM);
      const arbitrary = join(VECTORS, 'arbitrary-public-key.asc');
      const wrongKey = runOpenpgpCheck(built.path, arbitrary, sig, data);
      assert.equal(wrongKey.status, 1);
      assert.equal(wrongKey.output, 'openpgp: signature made by unknown entity');
    });

    it("the checker agrees with Quorum's vectors (sanity)", { skip }, () => {
      if (!('path' in built)) return;
      const data = join(work, 'vec.data');
      writeFileSync(data, 'bf9a942afca462a9fb45f471f8d4db8c79cf332d');
      const r = runOpenpgpCheck(
        built.path,
        join(VECTORS, 'standard-public-key.asc'),
        join(VECTORS, 'standard-signature.asc'),
        data,
      );
      assert.equal(r.output, 'ok 3C88144B7F184D28 checksum');
    });
  });

  it('(c) GnuPG verifies them', { skip: gpgAvailable() ? false : 'gpg is not installed' }, async () => {
    const gpg = new Gpg(scratch.sub('gpg-c'));
    try {
      gpg.importKey(pair.publicKey, work);
      const good = gpg.verify(await signChecksum(CHECKSUM, pair.privateKey), CHECKSUM, work);
      assert.equal(good.status, 0, good.stderr);
      assert.match(good.stdout, new RegExp(`VALIDSIG ${pair.fingerprint.toUpperCase()}`));
      const bad = gpg.verify(await signChecksum(CHECKSUM, pair.privateKey), `${CHECKSUM}x`, work);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stdout, /BADSIG/);
    } finally {
      gpg.close();
    }
  });
});
