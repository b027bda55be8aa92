/**
 * secp256k1 keys as Ethereum uses them: the address is the last 20 bytes of
 * keccak-256 over the uncompressed public key (without its 0x04 prefix), and
 * a signature is 65 bytes R || S || V with V = 0/1 (the recovery id).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

export const randomKey = (): Uint8Array => secp256k1.utils.randomSecretKey();

export const isValidKey = (key: Uint8Array): boolean => secp256k1.utils.isValidSecretKey(key);

export function addressOf(key: Uint8Array): Uint8Array {
  const publicKey = secp256k1.getPublicKey(key, false);
  return keccak_256(publicKey.subarray(1)).subarray(12);
}

/** Signs the 32 bytes as given (no hashing here: geth passes hashes). */
export function signHash(key: Uint8Array, hash: Uint8Array): Uint8Array {
  // noble's recovered format is V || R || S; Ethereum's is R || S || V.
  const recovered = secp256k1.sign(hash, key, { prehash: false, format: 'recovered' });
  const sig = new Uint8Array(65);
  sig.set(recovered.subarray(1), 0);
  sig[64] = recovered[0]!;
  return sig;
}

export const hexAddress = (address: Uint8Array): string => `0x${Buffer.from(address).toString('hex')}`;
