/**
 * Host side of the account interface: geth's account plugin gateway, reached
 * through a source that dispenses the client on every call (so a reloaded
 * plugin is picked up). Addresses are `0x…` lower-case, URLs `scheme://path`.
 */
import { AccountService } from '../generated/account_pb.js';
import type { Account as WireAccount } from '../generated/account_pb.js';
import { formatAddress, parseAddress, validateRawKey } from './account-keys.js';
import { formatAccountUrl, parseAccountUrl } from './account-url.js';
import { gatewayContext, sourceOf } from './source.js';
import type { ClientProvider, ClientSource, GatewayContext, GatewayOptions } from './source.js';
import { messageOf } from '@qplugin/go-plugin/protocol';

export interface PluginAccount {
  /** `0x` + 40 lower-case hex digits. */
  address: string;
  /** `scheme://path`. */
  url: string;
}

export type AddressLike = string | Uint8Array;

const MAX_INT64 = (1n << 63n) - 1n;

/** A duration in ms (number) or ns (bigint) as the int64 nanoseconds TimedUnlock carries. */
export function durationToNanos(duration: number | bigint): bigint {
  if (typeof duration === 'bigint') {
    if (duration < 0n || duration > MAX_INT64) throw new RangeError(`duration out of range: ${duration} ns`);
    return duration;
  }
  if (!Number.isFinite(duration) || duration < 0) throw new RangeError(`invalid duration: ${duration} ms`);
  const ns = BigInt(Math.round(duration * 1e6));
  if (ns > MAX_INT64) throw new RangeError(`duration out of range: ${duration} ms`);
  return ns;
}

/**
 * JSON bytes of a value as Go's json.Marshal would produce them for geth's
 * `interface{}` config: byte arrays become base64 strings, undefined is null.
 */
export function encodeAccountConfig(config: unknown): Uint8Array {
  const text = JSON.stringify(config, function (this: Record<string, unknown>, key, value: unknown) {
    const original = this[key];
    return original instanceof Uint8Array ? Buffer.from(original).toString('base64') : value;
  });
  return Buffer.from(text ?? 'null', 'utf8');
}

/** A wire account as geth accepts it: 20-byte address and a parsable URL. */
function toAccount(wire: WireAccount | undefined): PluginAccount {
  if (!wire) throw new Error('the plugin returned no account');
  if (wire.address.length !== 20) {
    throw new Error(
      `invalid account address returned from plugin: 0x${Buffer.from(wire.address).toString('hex')}`,
    );
  }
  return { address: formatAddress(wire.address), url: formatAccountUrl(parseAccountUrl(wire.url)) };
}

export class AccountGateway {
  private readonly source: ClientSource<typeof AccountService>;
  private readonly ctx: GatewayContext;

  constructor(provider: ClientProvider<typeof AccountService>, options?: GatewayOptions) {
    this.source = sourceOf(AccountService, provider);
    this.ctx = gatewayContext(options);
  }

  async status(): Promise<string> {
    return (await this.source().status({}, this.ctx.call())).status;
  }

  async open(passphrase = ''): Promise<void> {
    await this.source().open({ passphrase }, this.ctx.call());
  }

  async close(): Promise<void> {
    await this.source().close({}, this.ctx.call());
  }

  /** The plugin's accounts; [] (logged) when the call fails, invalid entries skipped (logged). */
  async accounts(): Promise<PluginAccount[]> {
    let wire: WireAccount[];
    try {
      wire = (await this.source().accounts({}, this.ctx.call())).accounts;
    } catch (err) {
      this.ctx.logger.error('unable to get accounts from the account plugin', {
        err: messageOf(err),
      });
      return [];
    }
    const out: PluginAccount[] = [];
    for (const w of wire) {
      try {
        out.push(toAccount(w));
      } catch (err) {
        this.ctx.logger.error('skipping invalid account returned from plugin', {
          err: messageOf(err),
        });
      }
    }
    return out;
  }

  /** Whether the plugin manages `address`; false (logged) when the call fails. */
  async contains(address: AddressLike): Promise<boolean> {
    const bytes = parseAddress(address);
    try {
      return (await this.source().contains({ address: bytes }, this.ctx.call())).isContained;
    } catch (err) {
      this.ctx.logger.error('unable to check the contents of the account plugin', {
        err: messageOf(err),
      });
      return false;
    }
  }

  /** The 65-byte R || S || V signature of `toSign` (a hash, as geth passes it). */
  async sign(address: AddressLike, toSign: Uint8Array): Promise<Uint8Array> {
    const res = await this.source().sign({ address: parseAddress(address), toSign }, this.ctx.call());
    return res.sig;
  }

  async unlockAndSign(address: AddressLike, toSign: Uint8Array, passphrase: string): Promise<Uint8Array> {
    const res = await this.source().unlockAndSign(
      { address: parseAddress(address), toSign, passphrase },
      this.ctx.call(),
    );
    return res.sig;
  }

  /** Unlocks for `duration`: ms as a number, ns as a bigint; 0 means until lock(). */
  async timedUnlock(address: AddressLike, password: string, duration: number | bigint): Promise<void> {
    const req = { address: parseAddress(address), password, duration: durationToNanos(duration) };
    await this.source().timedUnlock(req, this.ctx.call());
  }

  async lock(address: AddressLike): Promise<void> {
    await this.source().lock({ address: parseAddress(address) }, this.ctx.call());
  }

  /** Creates an account; `config` is JSON-encoded (Go's rules) into newAccountConfig. */
  async newAccount(config: unknown): Promise<PluginAccount> {
    const res = await this.source().newAccount(
      { newAccountConfig: encodeAccountConfig(config) },
      this.ctx.call(),
    );
    return toAccount(res.account);
  }

  /** Imports a hex key; the key is checked (geth's rules) before the plugin is called. */
  async importRawKey(hexKey: string, config: unknown): Promise<PluginAccount> {
    validateRawKey(hexKey);
    const req = { rawKey: hexKey, newAccountConfig: encodeAccountConfig(config) };
    return toAccount((await this.source().importRawKey(req, this.ctx.call())).account);
  }
}
