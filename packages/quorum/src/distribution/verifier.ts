/**
 * The three verification modes of geth's `--plugins.*` flags:
 * - local  (`--plugins.localverify`): `<zip>.sha256sum.asc` beside the zip and
 *   the key at `--plugins.publickey` (default `<baseDir>/gpg.key`);
 * - online (no flag): signature and key from Plugin Central;
 * - skip   (`--plugins.skipverify`): nothing is checked, and the result says so.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from '@qplugin/go-plugin/core/internal';
import { silentLogger, messageOf } from '@qplugin/go-plugin/core/internal';

import { DEFAULT_PUBLIC_KEY_FILE } from '../settings/defaults.js';
import { QuorumError } from '../errors.js';
import type { PluginDefinition } from '../settings/types.js';
import type { CentralClient } from './central.js';
import { resolveKeyPath } from './key-path.js';
import { signatureFileFor } from './lookup.js';
import type { SignedOver } from './signature.js';
import { verifyChecksumSignature } from './signature.js';

export type VerificationMode = 'local' | 'online' | 'skip';

/** geth's default key file name in baseDir for local verification. */

export interface VerificationResult {
  checksum: string;
  mode: VerificationMode;
  /** Signer's primary key fingerprint; absent when not verified. */
  keyFingerprint?: string;
  signedOver: SignedOver | 'unverified';
  /** Where the signature and key were read from. */
  signatureSource?: string;
  publicKeySource?: string;
}

export interface VerifyOptions {
  mode: VerificationMode;
  checksum: string;
  definition: PluginDefinition;
  /** The zip in use; the local signature is `<zipPath>.sha256sum.asc`. */
  zipPath: string;
  baseDir: string;
  /** Local mode: key URI or path (geth's --plugins.publickey). Default `<baseDir>/gpg.key`. */
  publicKey?: string;
  /** Online mode. */
  central?: CentralClient;
  trustedKeyFingerprints?: readonly string[];
  logger?: Logger;
}

async function readMaterial(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `stat ${path}: no such file or directory` : messageOf(cause);
    throw new QuorumError('VERIFY_MATERIAL', `${what}: ${message}`, {
      fix:
        what === 'plugin signature'
          ? `Put the armored detached signature of the zip's SHA-256 hex checksum at ${path} (gpg --armor --detach-sign), or use online verification.`
          : `Put the publisher's armored public key at ${path} or point --plugins.publickey at it.`,
      details: { path },
      cause,
    });
  }
}

export async function verifyDistribution(o: VerifyOptions): Promise<VerificationResult> {
  const logger = o.logger ?? silentLogger;
  logger.info('verifying plugin integrity', { checksum: o.checksum });
  if (o.mode === 'skip') {
    logger.warn('plugin: ignore integrity verification', { checksum: o.checksum, plugin: o.definition.name });
    return { checksum: o.checksum, mode: 'skip', signedOver: 'unverified' };
  }

  let armoredSignature: string;
  let armoredPublicKeys: string;
  let signatureSource: string;
  let publicKeySource: string;
  if (o.mode === 'local') {
    signatureSource = signatureFileFor(o.zipPath);
    publicKeySource =
      o.publicKey !== undefined ? resolveKeyPath(o.publicKey) : join(o.baseDir, DEFAULT_PUBLIC_KEY_FILE);
    // geth checks the key first (at construction), then the signature.
    armoredPublicKeys = await readMaterial(publicKeySource, 'public key');
    armoredSignature = await readMaterial(signatureSource, 'plugin signature');
  } else {
    if (o.central === undefined) {
      throw new QuorumError('VERIFY_MATERIAL', 'online verification needs a Plugin Central client');
    }
    const urls = o.central.urls(o.definition);
    signatureSource = urls.signature.href;
    publicKeySource = urls.publicKey.href;
    if (!o.trustedKeyFingerprints?.length) {
      logger.warn(
        'online verification trusts whatever key Plugin Central serves; set trustedKeyFingerprints to pin the publisher key',
        { publicKey: publicKeySource },
      );
    }
    armoredSignature = await o.central.fetchSignature(o.definition);
    armoredPublicKeys = await o.central.fetchPublicKey();
  }

  const check = await verifyChecksumSignature({
    checksum: o.checksum,
    armoredSignature,
    armoredPublicKeys,
    signatureSource,
    publicKeySource,
    logger,
    ...(o.trustedKeyFingerprints ? { trustedKeyFingerprints: o.trustedKeyFingerprints } : {}),
  });
  return {
    checksum: o.checksum,
    mode: o.mode,
    keyFingerprint: check.keyFingerprint,
    signedOver: check.signedOver,
    signatureSource,
    publicKeySource,
  };
}
