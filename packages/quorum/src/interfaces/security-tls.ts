/**
 * Host side of TLSConfigurationSource: the TLS material for geth's HTTPS/WSS
 * RPC listeners, turned into Node TLS server options with geth's policy.
 *
 * TLS 1.3: Node (OpenSSL) configures TLS 1.3 suites through the same
 * `ciphers` string, while Go always enables its three TLS 1.3 suites and
 * applies the plugin's list to TLS 1.2 only. We match Go: the plugin's (or
 * geth's default) list becomes the TLS 1.2 part, and the three TLS 1.3 suites
 * are always appended, so TLS 1.3 clients negotiate as they would with geth.
 */
import { createSecureContext } from 'node:tls';
import type { SecureVersion } from 'node:tls';
import { Status, messageOf } from '@qplugin/go-plugin/protocol';
import { toRpcError } from '@qplugin/go-plugin/internal';

import { TLSConfigurationSource } from '../generated/security_pb.js';
import type { TLSConfiguration_Data } from '../generated/security_pb.js';
import { DEFAULT_CIPHER_SUITES, TLS13_OPENSSL_SUITES, toOpenSslCipherList } from './cipher-suites.js';
import { gatewayContext, sourceOf } from './source.js';
import type { ClientProvider, ClientSource, GatewayContext, GatewayOptions } from './source.js';

/** geth's curve preferences (P-521, P-384, P-256, X25519) as an OpenSSL group list. */
export const TLS_CURVES = 'P-521:P-384:P-256:X25519';
export const TLS_MIN_VERSION: SecureVersion = 'TLSv1.2';
export const TLS_NOT_IMPLEMENTED_LOG = "Security: Plugin doesn't implement TLSConfigurationSource service";

/** Options for `https.createServer` / `tls.createServer`, as geth builds its tls.Config. */
export interface TlsServerOptions {
  key: string;
  cert: string;
  minVersion: SecureVersion;
  ecdhCurve: string;
  ciphers: string;
  /** Go servers pick the suite by their own preference order. */
  honorCipherOrder: boolean;
}

/**
 * Builds server options from the plugin's data. Throws `cipher suite value
 * overflow` for an id above 0xFFFF, and a descriptive error for unknown suites
 * or a key/certificate pair Node cannot use.
 */
export function buildTlsServerOptions(
  data: Pick<TLSConfiguration_Data, 'keyPem' | 'certPem' | 'cipherSuites'>,
): TlsServerOptions {
  const ids = data.cipherSuites.length > 0 ? data.cipherSuites : DEFAULT_CIPHER_SUITES;
  const tls12 = toOpenSslCipherList(ids);
  const options: TlsServerOptions = {
    key: Buffer.from(data.keyPem).toString('utf8'),
    cert: Buffer.from(data.certPem).toString('utf8'),
    minVersion: TLS_MIN_VERSION,
    ecdhCurve: TLS_CURVES,
    ciphers: [...tls12, ...TLS13_OPENSSL_SUITES].join(':'),
    honorCipherOrder: true,
  };
  try {
    // What tls.X509KeyPair checks in geth: both parse and belong together.
    createSecureContext(options);
  } catch (err) {
    throw new Error(`invalid TLS key pair from the plugin: ${messageOf(err)}`, { cause: err });
  }
  return options;
}

export class TlsConfigurationSourceGateway {
  private readonly source: ClientSource<typeof TLSConfigurationSource>;
  private readonly ctx: GatewayContext;

  constructor(provider: ClientProvider<typeof TLSConfigurationSource>, options?: GatewayOptions) {
    this.source = sourceOf(TLSConfigurationSource, provider);
    this.ctx = gatewayContext(options);
  }

  /** Asks the plugin for its TLS material; undefined when it sends none (geth's nil config). */
  async get(): Promise<TlsServerOptions | undefined> {
    const res = await this.source().get({}, this.ctx.call());
    return res.data ? buildTlsServerOptions(res.data) : undefined;
  }
}

/**
 * geth's probe: call Get once. UNIMPLEMENTED means the plugin does not serve
 * TLS (undefined, logged at info). Any other outcome, errors included, keeps
 * the source: the listener's own `get()` then reports what is wrong.
 */
export async function tlsConfigurationSource(
  provider: ClientProvider<typeof TLSConfigurationSource>,
  options?: GatewayOptions,
): Promise<TlsConfigurationSourceGateway | undefined> {
  const gateway = new TlsConfigurationSourceGateway(provider, options);
  const ctx = gatewayContext(options);
  try {
    await sourceOf(TLSConfigurationSource, provider)().get({}, ctx.call());
  } catch (err) {
    if (toRpcError(err).code === Status.UNIMPLEMENTED) {
      ctx.logger.info(TLS_NOT_IMPLEMENTED_LOG);
      return undefined;
    }
  }
  return gateway;
}
