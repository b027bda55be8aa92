/**
 * The security plugin's two services over its current configuration. A half
 * that is not configured answers UNIMPLEMENTED "no configuration": that is
 * the contract with geth, which then runs without TLS or without
 * authentication.
 */
import { RpcError, Status, service } from '@qplugin/go-plugin/plugin';
import type { ServiceRegistration } from '@qplugin/go-plugin/plugin';
import { AuthenticationManager, TLSConfigurationSource } from '@qplugin/quorum/plugin';

import { parseConfig } from './config.js';
import type { SecurityConfig } from './config.js';

const notConfigured = (): RpcError => new RpcError(Status.UNIMPLEMENTED, 'no configuration');

/** An Authorization header value may carry the scheme; the table holds bare tokens. */
export function bareToken(raw: Uint8Array): string {
  return Buffer.from(raw)
    .toString('utf8')
    .trim()
    .replace(/^bearer\s+/i, '');
}

export class SecurityPlugin {
  private config: SecurityConfig | undefined;

  /** Replaces the configuration; a rejected one leaves the previous in place. */
  init(rawConfiguration: Uint8Array): SecurityConfig {
    const next = parseConfig(rawConfiguration);
    this.config = next;
    return next;
  }

  private current(): SecurityConfig {
    if (!this.config) throw new RpcError(Status.FAILED_PRECONDITION, 'plugin not initialized');
    return this.config;
  }

  services(): ServiceRegistration[] {
    return [
      service(TLSConfigurationSource, {
        get: () => {
          const tls = this.current().tls;
          if (!tls) throw notConfigured();
          return { data: { ...tls } };
        },
      }),
      service(AuthenticationManager, {
        authenticate: (req) => {
          const tokens = this.current().tokens;
          if (!tokens) throw notConfigured();
          const token = bareToken(req.rawToken);
          if (token === '') throw new RpcError(Status.UNAUTHENTICATED, 'missing token');
          const grant = tokens.get(token);
          if (!grant) throw new RpcError(Status.UNAUTHENTICATED, 'invalid token');
          // Expiry is the host's decision (geth answers "token expired"); we report it as configured.
          return { rawToken: req.rawToken, expiredAt: grant.expiresAt, authorities: grant.authorities };
        },
      }),
    ];
  }
}
