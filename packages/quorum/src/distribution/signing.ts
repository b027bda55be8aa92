/**
 * Signing side, for packaging tools and tests: RSA keys and detached armored
 * signatures that GoQuorum's verifier (golang.org/x/crypto/openpgp) accepts.
 * RSA because that frozen library predates the newer curves, SHA-256 because
 * every verifier in the loop supports it, binary signature type so the bytes
 * signed are exactly the checksum string.
 */

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

export async function generateSigningKey(options: GenerateSigningKeyOptions): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = await (
    await loadOpenpgp()
  ).generateKey({
    type: 'rsa',
    rsaBits: options.rsaBits ?? 3072,
    userIDs: [{ name: options.name, email: options.email }],
    format: 'armored',
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
  });
  const key = await (await loadOpenpgp()).readKey({ armoredKey: publicKey });
  return { privateKey, publicKey, fingerprint: key.getFingerprint() };
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
