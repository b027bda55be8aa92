/**
 * The in-memory keystore behind the account plugin, with geth's keystore
 * semantics: Sign needs the account unlocked; TimedUnlock unlocks for a
 * duration (0 = until Lock) and never shortens an unlock without time limit;
 * UnlockAndSign checks the passphrase for one signature without changing the
 * unlock state; Lock ends any unlock. Failures are gRPC statuses.
 */
import { RpcError, Status } from '@qplugin/go-plugin/plugin';

import { addressOf, hexAddress, isValidKey, randomKey, signHash } from './keys.js';
import { matches, seal } from './passphrase.js';
import type { SealedPassphrase } from './passphrase.js';

export interface StoredAccount {
  readonly address: Uint8Array;
  readonly hex: string;
  readonly url: string;
}

interface Entry extends StoredAccount {
  readonly key: Uint8Array;
  readonly passphrase: SealedPassphrase;
  /** Clock ms until which the account is unlocked; Infinity = until Lock. */
  unlockedUntil: number;
}

export const URL_SCHEME = 'inmemory';

export class Keystore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  create(passphrase: string): StoredAccount {
    return this.add(randomKey(), passphrase);
  }

  import(key: Uint8Array, passphrase: string): StoredAccount {
    if (!isValidKey(key))
      throw new RpcError(Status.INVALID_ARGUMENT, 'rawKey: not a valid secp256k1 private key');
    const hex = hexAddress(addressOf(key));
    if (this.entries.has(hex)) throw new RpcError(Status.ALREADY_EXISTS, `account ${hex} already exists`);
    return this.add(key, passphrase);
  }

  private add(key: Uint8Array, passphrase: string): StoredAccount {
    const address = addressOf(key);
    const hex = hexAddress(address);
    const entry: Entry = {
      key,
      address,
      hex,
      url: `${URL_SCHEME}://${hex}`,
      passphrase: seal(passphrase),
      unlockedUntil: 0,
    };
    this.entries.set(hex, entry);
    return entry;
  }

  list(): StoredAccount[] {
    return [...this.entries.values()];
  }

  contains(address: Uint8Array): boolean {
    return this.entries.has(hexAddress(checkAddress(address)));
  }

  status(): string {
    const unlocked = [...this.entries.values()].filter((e) => this.isUnlocked(e)).length;
    return `ok: ${this.entries.size} account(s), ${unlocked} unlocked`;
  }

  sign(address: Uint8Array, hash: Uint8Array): Uint8Array {
    const entry = this.get(address);
    if (!this.isUnlocked(entry)) {
      throw new RpcError(
        Status.FAILED_PRECONDITION,
        `account ${entry.hex} is locked: unlock it with TimedUnlock or use UnlockAndSign`,
      );
    }
    return signHash(entry.key, checkHash(hash));
  }

  unlockAndSign(address: Uint8Array, hash: Uint8Array, passphrase: string): Uint8Array {
    const entry = this.authenticated(address, passphrase);
    return signHash(entry.key, checkHash(hash));
  }

  /** `durationNs` 0 unlocks until Lock. */
  timedUnlock(address: Uint8Array, passphrase: string, durationNs: bigint): void {
    if (durationNs < 0n)
      throw new RpcError(Status.INVALID_ARGUMENT, `duration must not be negative, got ${durationNs} ns`);
    const entry = this.authenticated(address, passphrase);
    if (durationNs === 0n) {
      entry.unlockedUntil = Infinity;
    } else if (entry.unlockedUntil !== Infinity) {
      entry.unlockedUntil = this.now() + Number(durationNs) / 1e6;
    }
  }

  lock(address: Uint8Array): void {
    this.get(address).unlockedUntil = 0;
  }

  private isUnlocked(entry: Entry): boolean {
    return this.now() < entry.unlockedUntil;
  }

  private get(address: Uint8Array): Entry {
    const hex = hexAddress(checkAddress(address));
    const entry = this.entries.get(hex);
    if (!entry) throw new RpcError(Status.NOT_FOUND, `unknown account ${hex}`);
    return entry;
  }

  private authenticated(address: Uint8Array, passphrase: string): Entry {
    const entry = this.get(address);
    if (!matches(entry.passphrase, passphrase))
      throw new RpcError(Status.PERMISSION_DENIED, `wrong passphrase for account ${entry.hex}`);
    return entry;
  }
}

function checkAddress(address: Uint8Array): Uint8Array {
  if (address.length !== 20)
    throw new RpcError(Status.INVALID_ARGUMENT, `address must be 20 bytes, got ${address.length}`);
  return address;
}

function checkHash(hash: Uint8Array): Uint8Array {
  if (hash.length !== 32)
    throw new RpcError(Status.INVALID_ARGUMENT, `toSign must be a 32-byte hash, got ${hash.length} bytes`);
  return hash;
}
