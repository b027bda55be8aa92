/**
 * Host side of the qlight token manager interface: how long before expiry to
 * refresh, and the refresh itself (errors wrapped `refresh token: <err>`, as
 * geth's token holder reports them).
 */
import { PluginQLightTokenRefresher } from '../generated/qlight_token_manager_pb.js';
import { gatewayContext, sourceOf } from './source.js';
import type { ClientProvider, ClientSource, GatewayContext, GatewayOptions } from './source.js';

export const REFRESH_TOKEN_PREFIX = 'refresh token: ';

export class QLightTokenManagerGateway {
  private readonly source: ClientSource<typeof PluginQLightTokenRefresher>;
  private readonly ctx: GatewayContext;

  constructor(provider: ClientProvider<typeof PluginQLightTokenRefresher>, options?: GatewayOptions) {
    this.source = sourceOf(PluginQLightTokenRefresher, provider);
    this.ctx = gatewayContext(options);
  }

  /** Milliseconds before a token's expiry at which to refresh it. */
  async refreshAnticipation(): Promise<number> {
    const res = await this.source().pluginQLightTokenManager({}, this.ctx.call());
    return res.refreshAnticipationInMillisecond;
  }

  /** A new token for `psi`, given the current one. */
  async tokenRefresh(currentToken: string, psi: string): Promise<string> {
    try {
      return (await this.source().tokenRefresh({ currentToken, psi }, this.ctx.call())).token;
    } catch (err) {
      throw new Error(`${REFRESH_TOKEN_PREFIX}${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }
}
