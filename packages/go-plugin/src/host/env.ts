/**
 * The environment a plugin is started with: the host's own (unless skipped,
 * and without PLUGIN_* variables we did not set, so a stray
 * PLUGIN_CLIENT_CERT cannot leak in), then the caller's, then the protocol's.
 * go-plugin lets the host environment override the caller's; we do the
 * reverse, which is what callers expect.
 */
import { Env, protocolEnvNames } from '../protocol/env.js';
import type { HandshakeConfig } from '../protocol/env.js';
import { formatOfferedVersions } from '../protocol/negotiate.js';

export interface PluginEnvInput {
  handshake: HandshakeConfig;
  versions: readonly number[];
  minPort: number;
  maxPort: number;
  skipHostEnv: boolean;
  hostEnv: NodeJS.ProcessEnv;
  extra?: Readonly<Record<string, string>>;
  clientCertPem?: string;
  multiplex: boolean;
  socketDir?: string;
  socketGroup?: string;
}

export function buildPluginEnv(input: PluginEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  if (!input.skipHostEnv) {
    for (const [k, v] of Object.entries(input.hostEnv)) {
      if (v !== undefined && !protocolEnvNames.includes(k)) env[k] = v;
    }
  }
  Object.assign(env, input.extra);
  env[input.handshake.magicCookieKey] = input.handshake.magicCookieValue;
  env[Env.minPort] = String(input.minPort);
  env[Env.maxPort] = String(input.maxPort);
  env[Env.protocolVersions] = formatOfferedVersions(input.versions);
  if (input.multiplex) env[Env.multiplexGRPC] = 'true';
  if (input.clientCertPem) env[Env.clientCert] = input.clientCertPem;
  if (input.socketGroup) env[Env.unixSocketGroup] = input.socketGroup;
  if (input.socketDir) env[Env.unixSocketDir] = input.socketDir;
  return env;
}
