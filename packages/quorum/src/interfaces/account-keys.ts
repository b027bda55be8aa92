/**
 * Ethereum key and address helpers for the account interface: geth checks an
 * imported key (crypto.HexToECDSA) before the plugin sees it, addresses are
 * 20 bytes rendered `0x` + lower-case hex (common.Address's text form), and
 * signatures are 65-byte R || S || V with V = 0/1. What needs the curve itself
 * (deriving and recovering addresses) is in account-crypto.ts.
 */

export const ADDRESS_LENGTH = 20;
export const SIGNATURE_LENGTH = 65;
export const INVALID_KEY_LENGTH = 'invalid length, need 256 bits';

const HEX_DIGIT = /^[0-9a-fA-F]$/;
/**
 * n, the order of secp256k1's group (SEC 2, 2.4.1). A literal rather than
 * noble's constant, so that the gateway and the manager do not load the
 * curve code (~4 MB and 30–40 ms per process on Node 24) just to check a key's
 * range; the test compares the two.
 */
export const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

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
  if (d >= SECP256K1_ORDER) throw new Error('invalid private key: not below the secp256k1 curve order');
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
