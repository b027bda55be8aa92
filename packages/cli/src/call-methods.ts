/**
 * The methods `qplugin call` can invoke, per interface, through the same
 * host-side gateways geth's wrappers correspond to (so a call behaves as it
 * would inside the node: key checks before the plugin, errors wrapped the
 * same way). Parameters are positional JSON, decoded with the JSON-RPC
 * layer's rules; bytes are 0x-hex both ways.
 */
import type { DescService } from '@bufbuild/protobuf';
import type { CallOptions, Client } from '@qplugin/go-plugin/protocol';

import {
  AccountGateway,
  AccountService,
  AuthenticationManager,
  HelloWorldGateway,
  PluginAuthenticationManager,
  PluginGreeting,
  PluginQLightTokenRefresher,
  QLightTokenManagerGateway,
  TLSConfigurationSource,
  TlsConfigurationSourceGateway,
} from '@qplugin/quorum';
import { parseAddress, validateRawKey } from '@qplugin/quorum/internal';
import type { ParamKind } from '@qplugin/quorum/internal';
import type { InterfaceName } from '@qplugin/quorum';
import { UsageError } from './args.js';
import { messageOf } from '@qplugin/go-plugin/protocol';

/** Hands out the running plugin's client for a service. */
export type Dispense = <S extends DescService>(svc: S) => Client<S>;

export interface MethodSpec {
  name: string;
  /** Other accepted names (the gRPC method name where it differs). */
  aliases?: readonly string[];
  params: readonly ParamKind[];
  /** How many leading params are required (default all). */
  required?: number;
  /** Shown in `qplugin call --help`. */
  signature: string;
  /** Checks and converts the decoded params before the plugin is started. */
  prepare?(args: unknown[]): unknown[];
  run(d: Dispense, args: unknown[], call: () => CallOptions): Promise<unknown>;
}

function hexBytes(value: unknown, what: string): Uint8Array {
  const text = typeof value === 'string' ? value.replace(/^0x/i, '') : '';
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text))
    throw new UsageError(`${what} must be 0x-prefixed hex bytes, found ${JSON.stringify(value)}`);
  return Buffer.from(text, 'hex');
}

const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;

function address(value: unknown, what = 'address'): unknown {
  try {
    parseAddress(String(value ?? ''));
  } catch (err) {
    throw new UsageError(`${what}: ${messageOf(err)}`);
  }
  return value;
}

const account = (d: Dispense, call: () => CallOptions): AccountGateway =>
  new AccountGateway(() => d(AccountService), { callOptions: call });

const HELLOWORLD: readonly MethodSpec[] = [
  {
    name: 'greeting',
    params: ['string'],
    signature: '["Quorum"] → "Hello Quorum!"',
    run: (d, [msg], call) =>
      new HelloWorldGateway(() => d(PluginGreeting), { callOptions: call }).greeting(String(msg ?? '')),
  },
];

const ACCOUNT: readonly MethodSpec[] = [
  { name: 'status', params: [], signature: '[] → "status text"', run: (d, _a, c) => account(d, c).status() },
  {
    name: 'open',
    params: ['string'],
    required: 0,
    signature: '["passphrase"?] → null',
    run: (d, [p], c) => account(d, c).open(String(p ?? '')),
  },
  { name: 'close', params: [], signature: '[] → null', run: (d, _a, c) => account(d, c).close() },
  {
    name: 'accounts',
    params: [],
    signature: '[] → [{address, url}]',
    run: (d, _a, c) => account(d, c).accounts(),
  },
  {
    name: 'contains',
    params: ['string'],
    signature: '["0xaddress"] → true|false',
    prepare: ([a]) => [address(a)],
    run: (d, [a], c) => account(d, c).contains(String(a)),
  },
  {
    name: 'sign',
    params: ['string', 'string'],
    signature: '["0xaddress", "0x32-byte hash"] → "0x65-byte signature"',
    prepare: ([a, h]) => [address(a), hexBytes(h, 'param 1 (hash)')],
    run: async (d, [a, h], c) => hex(await account(d, c).sign(String(a), h as Uint8Array)),
  },
  {
    name: 'unlockAndSign',
    params: ['string', 'string', 'string'],
    signature: '["0xaddress", "0xhash", "passphrase"] → "0xsignature"',
    prepare: ([a, h, p]) => [address(a), hexBytes(h, 'param 1 (hash)'), p],
    run: async (d, [a, h, p], c) =>
      hex(await account(d, c).unlockAndSign(String(a), h as Uint8Array, String(p ?? ''))),
  },
  {
    name: 'timedUnlock',
    params: ['string', 'string', 'any'],
    signature: '["0xaddress", "password", durationMs] → null (0 = until lock)',
    prepare: ([a, p, ms]) => {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
        throw new UsageError(
          `param 2 (duration) must be a number of milliseconds, found ${JSON.stringify(ms)}`,
        );
      return [address(a), p, ms];
    },
    run: (d, [a, p, ms], c) => account(d, c).timedUnlock(String(a), String(p ?? ''), ms as number),
  },
  {
    name: 'lock',
    params: ['string'],
    signature: '["0xaddress"] → null',
    prepare: ([a]) => [address(a)],
    run: (d, [a], c) => account(d, c).lock(String(a)),
  },
  {
    name: 'newAccount',
    params: ['any'],
    signature: '[config] → {address, url}',
    run: (d, [config], c) => account(d, c).newAccount(config),
  },
  {
    name: 'importRawKey',
    params: ['string', 'any'],
    signature: '["hex key", config] → {address, url}',
    prepare: ([key, config]) => {
      try {
        validateRawKey(String(key ?? ''));
      } catch (err) {
        throw new UsageError(`param 0 (raw key): ${messageOf(err)}`);
      }
      return [key, config];
    },
    run: (d, [key, config], c) => account(d, c).importRawKey(String(key), config),
  },
];

const SECURITY: readonly MethodSpec[] = [
  {
    name: 'authenticate',
    params: ['string'],
    signature: '["Bearer <token>"] → {rawToken, expiredAt, authorities}',
    run: async (d, [token], c) => {
      const t = await new PluginAuthenticationManager(() => d(AuthenticationManager), {
        callOptions: c,
      }).authenticate(String(token ?? ''));
      const expiry = t.expiredAt && new Date(Number(t.expiredAt.seconds) * 1000 + t.expiredAt.nanos / 1e6);
      return {
        rawToken: Buffer.from(t.rawToken).toString('utf8'),
        expiredAt: expiry && !Number.isNaN(expiry.getTime()) ? expiry.toISOString() : null,
        authorities: t.authorities,
      };
    },
  },
  {
    name: 'tls',
    aliases: ['get', 'tlsConfiguration'],
    params: [],
    signature: '[] → {cert, ciphers, …} (the private key is not printed)',
    run: async (d, _a, c) => {
      const tls = await new TlsConfigurationSourceGateway(() => d(TLSConfigurationSource), {
        callOptions: c,
      }).get();
      if (tls === undefined) return null;
      // A terminal is no place for the node's TLS private key; show that it is there and usable.
      const { key, ...rest } = tls;
      return { ...rest, key: `(${Buffer.byteLength(key)} bytes of PEM, not shown)` };
    },
  },
];

const QLIGHT: readonly MethodSpec[] = [
  {
    name: 'tokenRefresh',
    params: ['string', 'string'],
    signature: '["current token", "psi"] → "new token"',
    run: (d, [token, psi], c) =>
      new QLightTokenManagerGateway(() => d(PluginQLightTokenRefresher), { callOptions: c }).tokenRefresh(
        String(token ?? ''),
        String(psi ?? ''),
      ),
  },
  {
    name: 'refreshAnticipation',
    aliases: ['pluginQLightTokenManager'],
    params: [],
    signature: '[] → milliseconds before expiry to refresh',
    run: (d, _a, c) =>
      new QLightTokenManagerGateway(() => d(PluginQLightTokenRefresher), {
        callOptions: c,
      }).refreshAnticipation(),
  },
];

export const METHODS: Readonly<Record<InterfaceName, readonly MethodSpec[]>> = {
  helloworld: HELLOWORLD,
  account: ACCOUNT,
  security: SECURITY,
  qlighttokenmanager: QLIGHT,
};

/** Case-insensitive, as people type `Greeting` (gRPC) or `greeting` (JSON-RPC). */
export function findMethod(iface: InterfaceName, name: string): MethodSpec | undefined {
  const wanted = name.toLowerCase();
  return METHODS[iface].find(
    (m) => m.name.toLowerCase() === wanted || (m.aliases ?? []).some((a) => a.toLowerCase() === wanted),
  );
}

/** `--help` listing of every method. */
export function describeMethods(): string {
  return Object.entries(METHODS)
    .map(
      ([iface, list]) =>
        `  ${iface}\n${list.map((m) => `    ${m.name.padEnd(20)}${m.signature}`).join('\n')}`,
    )
    .join('\n');
}
