/**
 * Passphrases are kept only as salted scrypt hashes, even in memory, and
 * compared in constant time.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

export interface SealedPassphrase {
  salt: Buffer;
  hash: Buffer;
}

export function seal(passphrase: string): SealedPassphrase {
  const salt = randomBytes(16);
  return { salt, hash: scryptSync(passphrase, salt, 32) };
}

export const matches = (sealed: SealedPassphrase, passphrase: string): boolean =>
  timingSafeEqual(sealed.hash, scryptSync(passphrase, sealed.salt, 32));
