/**
 * The environment the played host gives a plugin, built by the host library:
 * its own environment without inherited PLUGIN_* variables, then the magic
 * cookie, the port range, the protocol versions and (AutoMTLS) the host
 * certificate. For the "run by hand" start the cookie is taken out again,
 * including one inherited from our own environment.
 */
import { buildPluginEnv } from '@qplugin/go-plugin/internal';
import { DEFAULT_MAX_PORT, DEFAULT_MIN_PORT } from '@qplugin/go-plugin/protocol';

import type { HostProfile } from '../presets.js';

export interface HostEnvInput {
  profile: HostProfile;
  /** PEM of the host certificate (PLUGIN_CLIENT_CERT); none without AutoMTLS. */
  clientCertPem?: string;
  /** Set the magic cookie (false for the "run by hand" start). */
  cookie: boolean;
  hostEnv?: NodeJS.ProcessEnv;
}

export function hostEnv(input: HostEnvInput): Record<string, string> {
  const { profile } = input;
  const env = buildPluginEnv({
    handshake: {
      protocolVersion: profile.protocolVersions[0] ?? 1,
      magicCookieKey: profile.cookie.key,
      magicCookieValue: profile.cookie.value,
    },
    versions: [...profile.protocolVersions],
    minPort: DEFAULT_MIN_PORT,
    maxPort: DEFAULT_MAX_PORT,
    skipHostEnv: false,
    hostEnv: input.hostEnv ?? process.env,
    clientCertPem: input.clientCertPem,
    multiplex: false,
  });
  if (!input.cookie) delete env[profile.cookie.key];
  return env;
}
