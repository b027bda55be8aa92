/**
 * verifyDistribution in its three modes (local_verifier_test, verifier_test):
 * local with the default or an explicit key, skip (loud, "unverified"), and
 * the errors for missing material and tampered zips. Online mode runs end to
 * end in dist-obtain.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';

import { createLogger } from '@qplugin/go-plugin/protocol';
import type { LogLevel } from '@qplugin/go-plugin/protocol';

import {
  generateSigningKey,
  sha256Checksum,
  signChecksum,
  verifyDistribution,
} from '../src/distribution/index.js';
import type { SigningKeyPair } from '../src/distribution/index.js';
import { Scratch, rejectsWith } from './fixtures/distribution/support.js';
import { pluginZip } from './fixtures/distribution/zips.js';

const scratch = new Scratch('qp-dist-modes-');
const DEF = { name: 'quorum-plugin-hello-world', version: '1.0.0' };
const CHECKSUM = sha256Checksum(Buffer.from('a plugin zip'));

function capture(): { logger: ReturnType<typeof createLogger>; lines: Array<[LogLevel, string]> } {
  const lines: Array<[LogLevel, string]> = [];
  return {
    logger: createLogger((level, message) => lines.push([level, message]), { level: 'trace' }),
    lines,
  };
}

describe('verifyDistribution modes', () => {
  let pair: SigningKeyPair;
  before(async () => {
    pair = await generateSigningKey({ name: 'Mode Tester', email: 'modes@example.com', rsaBits: 2048 });
  });

  async function baseDirWithZip(): Promise<{ baseDir: string; zipPath: string; checksum: string }> {
    const baseDir = scratch.sub('base');
    const zip = await pluginZip();
    const zipPath = join(baseDir, 'quorum-plugin-hello-world-1.0.0-linux-amd64.zip');
    writeFileSync(zipPath, zip);
    return { baseDir, zipPath, checksum: sha256Checksum(zip) };
  }

  // §7 local_verifier_test / verifier_test.
  it('local: <zip>.sha256sum.asc beside the zip and the default <baseDir>/gpg.key', async () => {
    const { baseDir, zipPath, checksum } = await baseDirWithZip();
    writeFileSync(join(baseDir, 'gpg.key'), pair.publicKey);
    writeFileSync(`${zipPath}.sha256sum.asc`, await signChecksum(checksum, pair.privateKey));
    const result = await verifyDistribution({ mode: 'local', checksum, definition: DEF, zipPath, baseDir });
    assert.deepEqual(result, {
      checksum,
      mode: 'local',
      keyFingerprint: pair.fingerprint,
      signedOver: 'checksum',
      signatureSource: `${zipPath}.sha256sum.asc`,
      publicKeySource: join(baseDir, 'gpg.key'),
    });
  });

  it('local: an explicit key as file:// URI, bare path, or file://./relative', async () => {
    const { baseDir, zipPath, checksum } = await baseDirWithZip();
    const keyDir = scratch.sub('keys');
    const keyFile = join(keyDir, 'pub.asc');
    writeFileSync(keyFile, pair.publicKey);
    writeFileSync(`${zipPath}.sha256sum.asc`, await signChecksum(checksum, pair.privateKey));
    const relativeUri = `file://./${relative(process.cwd(), keyFile)}`;
    for (const publicKey of [`file://${keyFile}`, keyFile, relativeUri]) {
      const r = await verifyDistribution({
        mode: 'local',
        checksum,
        definition: DEF,
        zipPath,
        baseDir,
        publicKey,
      });
      assert.equal(r.publicKeySource, keyFile);
    }
  });

  it('local: missing signature file', async () => {
    const { baseDir, zipPath, checksum } = await baseDirWithZip();
    writeFileSync(join(baseDir, 'gpg.key'), pair.publicKey);
    await rejectsWith(
      verifyDistribution({ mode: 'local', checksum, definition: DEF, zipPath, baseDir }),
      'VERIFY_MATERIAL',
      `plugin signature: stat ${zipPath}.sha256sum.asc: no such file or directory`,
    );
  });

  it('local: missing public key', async () => {
    const { baseDir, zipPath, checksum } = await baseDirWithZip();
    await rejectsWith(
      verifyDistribution({ mode: 'local', checksum, definition: DEF, zipPath, baseDir }),
      'VERIFY_MATERIAL',
      `public key: stat ${join(baseDir, 'gpg.key')}: no such file or directory`,
    );
  });

  it('local: a tampered zip no longer matches its signature', async () => {
    const { baseDir, zipPath, checksum } = await baseDirWithZip();
    writeFileSync(join(baseDir, 'gpg.key'), pair.publicKey);
    writeFileSync(`${zipPath}.sha256sum.asc`, await signChecksum(checksum, pair.privateKey));
    const tampered = Buffer.from(readFileSync(zipPath));
    const at = tampered.length - 30;
    tampered.writeUInt8(tampered.readUInt8(at) ^ 0xff, at);
    await rejectsWith(
      verifyDistribution({
        mode: 'local',
        checksum: sha256Checksum(tampered),
        definition: DEF,
        zipPath,
        baseDir,
      }),
      'VERIFY_SIGNATURE',
      'unable to verify plugin signature: openpgp: invalid signature',
    );
  });

  it('local: the signature of the plain-named zip sits beside it', async () => {
    const baseDir = scratch.sub('plain');
    const zip = await pluginZip();
    const zipPath = join(baseDir, 'quorum-plugin-hello-world-1.0.0.zip');
    writeFileSync(zipPath, zip);
    writeFileSync(join(baseDir, 'gpg.key'), pair.publicKey);
    writeFileSync(`${zipPath}.sha256sum.asc`, await signChecksum(sha256Checksum(zip), pair.privateKey));
    const r = await verifyDistribution({
      mode: 'local',
      checksum: sha256Checksum(zip),
      definition: DEF,
      zipPath,
      baseDir,
    });
    assert.equal(r.signatureSource, `${zipPath}.sha256sum.asc`);
  });

  it('skip: says "not verified" and warns with geth\'s text', async () => {
    const { logger, lines } = capture();
    const r = await verifyDistribution({
      mode: 'skip',
      checksum: CHECKSUM,
      definition: DEF,
      zipPath: '/nonexistent',
      baseDir: '/nonexistent',
      logger,
    });
    assert.deepEqual(r, { checksum: CHECKSUM, mode: 'skip', signedOver: 'unverified' });
    assert.ok(lines.some(([level, m]) => level === 'warn' && m === 'plugin: ignore integrity verification'));
    assert.ok(lines.some(([level, m]) => level === 'info' && m === 'verifying plugin integrity'));
  });

  it('online without a central client is a clear error', async () => {
    await rejectsWith(
      verifyDistribution({
        mode: 'online',
        checksum: CHECKSUM,
        definition: DEF,
        zipPath: '/x',
        baseDir: '/x',
      }),
      'VERIFY_MATERIAL',
      'online verification needs a Plugin Central client',
    );
  });
});
