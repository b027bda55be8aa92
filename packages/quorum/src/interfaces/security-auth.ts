/**
 * Host side of AuthenticationManager. geth probes it once with an empty token:
 * UNIMPLEMENTED selects a disabled manager (every authentication fails with
 * `not supported operation`); any other answer, errors included, selects the
 * plugin-backed manager.
 */
import { Status } from '@qplugin/go-plugin/protocol';
import { toRpcError } from '@qplugin/go-plugin/internal';

import { AuthenticationManager } from '../generated/security_pb.js';
import {
  MISSING_ACCESS_TOKEN,
  NOT_SUPPORTED_OPERATION,
  SecurityError,
  checkAccess,
} from './security-access.js';
import type { AuthenticatedToken } from './security-access.js';
import { gatewayContext, sourceOf } from './source.js';
import type { ClientProvider, ClientSource, GatewayContext, GatewayOptions } from './source.js';

export interface AuthenticationManagerGateway {
  /** False only for the disabled manager. */
  isEnabled(): boolean;
  /** Sends the Authorization header value as received; rejects with the plugin's gRPC error. */
  authenticate(rawToken: string | Uint8Array): Promise<AuthenticatedToken>;
  /**
   * authenticate + checkAccess: what geth does per RPC call. `rawToken`
   * undefined (no header) fails with `missing access token` without calling
   * the plugin.
   */
  authorize(
    rawToken: string | Uint8Array | undefined,
    service: string,
    method: string,
    now?: Date | number,
  ): Promise<AuthenticatedToken>;
}

const toBytes = (token: string | Uint8Array): Uint8Array =>
  typeof token === 'string' ? Buffer.from(token, 'utf8') : token;

export class PluginAuthenticationManager implements AuthenticationManagerGateway {
  private readonly source: ClientSource<typeof AuthenticationManager>;
  private readonly ctx: GatewayContext;

  constructor(provider: ClientProvider<typeof AuthenticationManager>, options?: GatewayOptions) {
    this.source = sourceOf(AuthenticationManager, provider);
    this.ctx = gatewayContext(options);
  }

  isEnabled(): boolean {
    return true;
  }

  async authenticate(rawToken: string | Uint8Array): Promise<AuthenticatedToken> {
    const res = await this.source().authenticate({ rawToken: toBytes(rawToken) }, this.ctx.call());
    return {
      rawToken: res.rawToken,
      expiredAt: res.expiredAt && { seconds: res.expiredAt.seconds, nanos: res.expiredAt.nanos },
      authorities: res.authorities.map(({ service, method, raw }) => ({ service, method, raw })),
    };
  }

  async authorize(
    rawToken: string | Uint8Array | undefined,
    service: string,
    method: string,
    now?: Date | number,
  ): Promise<AuthenticatedToken> {
    if (rawToken === undefined) throw new SecurityError(MISSING_ACCESS_TOKEN);
    const token = await this.authenticate(rawToken);
    checkAccess(token, service, method, now ?? Date.now());
    return token;
  }
}

/** The manager used when the plugin does not implement authentication. */
export class DisabledAuthenticationManager implements AuthenticationManagerGateway {
  isEnabled(): boolean {
    return false;
  }

  authenticate(_rawToken?: string | Uint8Array): Promise<AuthenticatedToken> {
    return Promise.reject(new SecurityError(NOT_SUPPORTED_OPERATION));
  }

  authorize(
    _rawToken?: string | Uint8Array,
    _service?: string,
    _method?: string,
  ): Promise<AuthenticatedToken> {
    return Promise.reject(new SecurityError(NOT_SUPPORTED_OPERATION));
  }
}

/** geth's probe: Authenticate with an empty token, once. */
export async function authenticationManager(
  provider: ClientProvider<typeof AuthenticationManager>,
  options?: GatewayOptions,
): Promise<AuthenticationManagerGateway> {
  const manager = new PluginAuthenticationManager(provider, options);
  try {
    await manager.authenticate('');
  } catch (err) {
    if (toRpcError(err).code === Status.UNIMPLEMENTED) return new DisabledAuthenticationManager();
  }
  return manager;
}
