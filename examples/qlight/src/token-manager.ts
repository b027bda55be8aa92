/**
 * PluginQLightTokenRefresher: tells the host how early to refresh, and issues
 * a fresh token (exp = now + lifetime) for the PSI on every refresh.
 */
import { RpcError, Status, service } from '@qplugin/go-plugin/plugin';
import type { ServiceRegistration } from '@qplugin/go-plugin/plugin';
import { PluginQLightTokenRefresher } from '@qplugin/quorum/plugin';

import { parseConfig } from './config.js';
import type { QLightConfig } from './config.js';
import { issueJwt } from './jwt.js';

export class TokenManager {
  private config: QLightConfig | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces the configuration; a rejected one leaves the previous in place. */
  init(raw: Uint8Array): QLightConfig {
    this.config = parseConfig(raw);
    return this.config;
  }

  private current(): QLightConfig {
    if (!this.config) throw new RpcError(Status.FAILED_PRECONDITION, 'plugin not initialized');
    return this.config;
  }

  issue(psi: string): string {
    const cfg = this.current();
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + cfg.lifetimeSeconds;
    return `${cfg.tokenPrefix}${issueJwt({ sub: psi, psi, iat, exp }, cfg.hmacSecret)}`;
  }

  service(): ServiceRegistration {
    return service(PluginQLightTokenRefresher, {
      pluginQLightTokenManager: () => ({
        refreshAnticipationInMillisecond: this.current().refreshAnticipationInMillisecond,
      }),
      tokenRefresh: (req) => ({ token: this.issue(req.psi) }),
    });
  }
}
