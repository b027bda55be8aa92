/**
 * The environment geth (go-plugin v1.2.2, Quorum's handshake) gives a plugin:
 * its own environment, then the magic cookie, the port range, the protocol
 * versions and, with AutoMTLS, the host certificate. Inherited PLUGIN_*
 * variables and any cookie in our own environment are dropped first, so the
 * check controls exactly what the plugin sees.
 */
import { DEFAULT_MAX_PORT, DEFAULT_MIN_PORT, Env, protocolEnvNames } from '@qplugin/go-plugin/protocol';

import { QUORUM_HANDSHAKE } from '../../interfaces/index.js';

export interface GethEnvInput {
  /** PEM of the host certificate (PLUGIN_CLIENT_CERT). */
  clientCertPem: string;
  /** Set the magic cookie (false for the "run by hand" check). */
  cookie: boolean;
  hostEnv?: NodeJS.ProcessEnv;
}

export function gethEnv(input: GethEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.hostEnv ?? process.env)) {
    if (v === undefined || protocolEnvNames.includes(k) || k === QUORUM_HANDSHAKE.magicCookieKey) continue;
    env[k] = v;
  }
  if (input.cookie) env[QUORUM_HANDSHAKE.magicCookieKey] = QUORUM_HANDSHAKE.magicCookieValue;
  env[Env.minPort] = String(DEFAULT_MIN_PORT);
  env[Env.maxPort] = String(DEFAULT_MAX_PORT);
  env[Env.protocolVersions] = String(QUORUM_HANDSHAKE.protocolVersion);
  env[Env.clientCert] = input.clientCertPem;
  return env;
}
