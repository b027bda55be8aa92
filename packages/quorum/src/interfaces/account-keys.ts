/**
 * Ethereum key and address helpers for the account interface: geth checks an
 * imported key (crypto.HexToECDSA) before the plugin sees it, addresses are
 * 20 bytes rendered `0x` + lower-case hex (common.Address's text form), and
 * signatures are 65-byte R || S || V with V = 0/1.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

export const ADDRESS_LENGTH = 20;
export const SIGNATURE_LENGTH = 65;
export const INVALID_KEY_LENGTH = 'invalid length, need 256 bits';

const HEX_DIGIT = /^[0-9a-fA-F]$/;
const CURVE_ORDER = secp256k1.Point.Fn.ORDER;

/**
 * Checks a hex private key the way geth does before ImportRawKey: plain hex
 * (no `0x`), exactly 32 bytes, 0 < key < curve order. Returns the key bytes.
 */
export function validateRawKey(hexKey: string): Uint8Array {
  for (const c of hexKey) {
    if (!HEX_DIGIT.test(c)) {
      const hint = c === 'x' || c === 'X' ? ' (give the key without a 0x prefix)' : '';
      throw new Error(`invalid hex character ${JSON.stringify(c)} in private key${hint}`);
    }
  }
  if (hexKey.length % 2 !== 0) throw new Error('invalid hex data for private key: odd number of digits');
  const key = Uint8Array.from(Buffer.from(hexKey, 'hex'));
  if (key.length !== 32) throw new Error(INVALID_KEY_LENGTH);
  const d = BigInt(`0x${hexKey}`);
  if (d === 0n) throw new Error('invalid private key: zero');
  if (d >= CURVE_ORDER) throw new Error('invalid private key: not below the secp256k1 curve order');
  return key;
}

/** `0x` + lower-case hex of the 20 address bytes. */
export function formatAddress(address: Uint8Array): string {
  if (address.length !== ADDRESS_LENGTH)
    throw new Error(`invalid address: ${address.length} bytes, need ${ADDRESS_LENGTH}`);
  return `0x${Buffer.from(address).toString('hex')}`;
}

/** An address given as `0x…` hex (any case) or 20 raw bytes, as bytes. */
export function parseAddress(address: string | Uint8Array): Uint8Array {
  if (typeof address !== 'string') {
    if (address.length !== ADDRESS_LENGTH)
      throw new Error(`invalid address: ${address.length} bytes, need ${ADDRESS_LENGTH}`);
    return address;
  }
  const hex = address.startsWith('0x') || address.startsWith('0X') ? address.slice(2) : address;
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new Error(`invalid address: ${JSON.stringify(address)}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

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
