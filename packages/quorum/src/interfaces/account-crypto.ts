/**
 * Addresses from secp256k1 keys and signatures, as geth derives them
 * (Keccak-256 of the uncompressed public key, last 20 bytes). Only tests and
 * tools need these, so they live behind their own entry point
 * (`@qplugin/quorum/account-crypto/internal`): the curve code is ~4 MB and
 * 30–40 ms of start-up that a gateway or a manager would otherwise load.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

import { formatAddress, SIGNATURE_LENGTH } from './account-keys.js';

/** The address of a secp256k1 public key (33-byte compressed or 65-byte uncompressed). */
export function publicKeyToAddress(publicKey: Uint8Array): string {
  const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return formatAddress(keccak_256(uncompressed.subarray(1)).subarray(12));
}

export function privateKeyToAddress(privateKey: Uint8Array): string {
  return publicKeyToAddress(secp256k1.getPublicKey(privateKey, false));
}

/**
 * The address whose key made `signature` (R || S || V, V = 0/1) over the
 * 32-byte `hash`. Throws when the signature is malformed or recovers nothing.
 */
export function recoverAddress(hash: Uint8Array, signature: Uint8Array): string {
  if (hash.length !== 32) throw new Error(`hash must be 32 bytes, got ${hash.length}`);
  if (signature.length !== SIGNATURE_LENGTH)
    throw new Error(`signature must be ${SIGNATURE_LENGTH} bytes, got ${signature.length}`);
  const v = signature[64]!;
  if (v > 1) throw new Error(`signature recovery id must be 0 or 1, got ${v}`);
  // noble's "recovered" format puts the recovery id first.
  const recovered = new Uint8Array(SIGNATURE_LENGTH);
  recovered[0] = v;
  recovered.set(signature.subarray(0, 64), 1);
  return publicKeyToAddress(secp256k1.recoverPublicKey(recovered, hash, { prehash: false }));
}
