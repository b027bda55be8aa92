/**
 * Signing side, for packaging tools and tests: RSA keys and detached armored
 * signatures that GoQuorum's verifier (golang.org/x/crypto/openpgp) accepts.
 * RSA because that frozen library predates the newer curves, SHA-256 because
 * every verifier in the loop supports it, binary signature type so the bytes
 * signed are exactly the checksum string.
 */

import { messageOf } from '@qplugin/go-plugin/core/internal';

import { QuorumError } from '../errors.js';
import { loadOpenpgp } from './openpgp.js';

export interface SigningKeyPair {
  /** Armored private key (unencrypted unless a passphrase was given). */
  privateKey: string;
  /** Armored public key: what goes into gpg.key. */
  publicKey: string;
  /** Primary key fingerprint, lower-case hex: what goes into trustedKeyFingerprints. */
  fingerprint: string;
}

export interface GenerateSigningKeyOptions {
  name: string;
  email: string;
  /** Default 3072. */
  rsaBits?: number;
  passphrase?: string;
}

/** Throws SIGNING_INPUT for inputs openpgp refuses (a user ID it cannot form, a key size it does not make). */
export async function generateSigningKey(options: GenerateSigningKeyOptions): Promise<SigningKeyPair> {
  const openpgp = await loadOpenpgp();
  const rsaBits = options.rsaBits ?? 3072;
  let pair: { privateKey: string; publicKey: string };
  try {
    pair = await openpgp.generateKey({
      type: 'rsa',
      rsaBits,
      userIDs: [{ name: options.name, email: options.email }],
      format: 'armored',
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    });
  } catch (err) {
    const reason = messageOf(err);
    const userId = /user ?id/i.test(reason);
    throw new QuorumError(
      'SIGNING_INPUT',
      userId
        ? `cannot make a signing key for ${JSON.stringify(options.name)} <${options.email}>: openpgp refuses that user ID (${reason})`
        : `cannot make a ${rsaBits}-bit RSA signing key: ${reason}`,
      {
        fix: userId
          ? 'Give an e-mail address of the form name@example.com (a dot in the domain, no spaces).'
          : 'Use an RSA key size from 2048 to 4096 bits (3072 is the default).',
        details: { name: options.name, email: options.email, rsaBits },
        cause: err,
      },
    );
  }
  const key = await openpgp.readKey({ armoredKey: pair.publicKey });
  return { ...pair, fingerprint: key.getFingerprint() };
}

export interface SignChecksumOptions {
  passphrase?: string;
  /** Sign `checksum + "\n"` (a checksum file's content) instead of the bare string. */
  trailingNewline?: boolean;
}

/** An ASCII-armored detached signature over the checksum string. */
export async function signChecksum(
  checksum: string,
  armoredPrivateKey: string,
  options: SignChecksumOptions = {},
): Promise<string> {
  let key = await (await loadOpenpgp()).readPrivateKey({ armoredKey: armoredPrivateKey });
  if (!key.isDecrypted()) {
    if (options.passphrase === undefined) {
      throw new QuorumError('VERIFY_MATERIAL', 'the signing key is encrypted and no passphrase was given');
    }
    key = await (await loadOpenpgp()).decryptKey({ privateKey: key, passphrase: options.passphrase });
  }
  const text = options.trailingNewline ? `${checksum}\n` : checksum;
  const message = await (await loadOpenpgp()).createMessage({ binary: new TextEncoder().encode(text) });
  return (await loadOpenpgp()).sign({
    message,
    signingKeys: key,
    detached: true,
    format: 'armored',
    config: { preferredHashAlgorithm: (await loadOpenpgp()).enums.hash.sha256 },
  });
}
