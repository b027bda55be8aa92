/**
 * The environment geth (go-plugin v1.2.2, Quorum's handshake) gives a plugin,
 * built by the host library: its own environment without inherited PLUGIN_*
 * variables, then the magic cookie, the port range, the protocol versions
 * and the host certificate. For the "run by hand" check the cookie is taken
 * out again, including one inherited from our own environment.
 */
import { buildPluginEnv } from '@qplugin/go-plugin/host';
import { DEFAULT_MAX_PORT, DEFAULT_MIN_PORT } from '@qplugin/go-plugin/protocol';

import { QUORUM_HANDSHAKE } from '../../interfaces/index.js';

export interface GethEnvInput {
  /** PEM of the host certificate (PLUGIN_CLIENT_CERT). */
  clientCertPem: string;
  /** Set the magic cookie (false for the "run by hand" check). */
  cookie: boolean;
  hostEnv?: NodeJS.ProcessEnv;
}

export function gethEnv(input: GethEnvInput): Record<string, string> {
  const env = buildPluginEnv({
    handshake: QUORUM_HANDSHAKE,
    versions: [QUORUM_HANDSHAKE.protocolVersion],
    minPort: DEFAULT_MIN_PORT,
    maxPort: DEFAULT_MAX_PORT,
    skipHostEnv: false,
    hostEnv: input.hostEnv ?? process.env,
    clientCertPem: input.clientCertPem,
    multiplex: false,
  });
  if (!input.cookie) delete env[QUORUM_HANDSHAKE.magicCookieKey];
  return env;
}
