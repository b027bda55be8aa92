/**
 * Which host a plugin check plays, and what a host check expects of a host:
 * the magic cookie, the app protocol versions offered, AutoMTLS. The kit
 * knows go-plugin's KV example and Terraform; applications add their own
 * (the qplugin CLI adds Quorum's).
 */

export interface HostProfile {
  /** Who the check plays, for the report's texts, e.g. `Terraform`. */
  host: string;
  cookie: { key: string; value: string };
  /** What the host offers in PLUGIN_PROTOCOL_VERSIONS (for a host check: empty = any). */
  protocolVersions: readonly number[];
  /** Whether the host runs AutoMTLS (sends PLUGIN_CLIENT_CERT). */
  autoMTLS: boolean;
}

export interface Preset extends HostProfile {
  name: string;
  description: string;
}

/** go-plugin's examples/grpc: a KV store plugin and its host (no AutoMTLS). */
export const KV_PRESET: Preset = {
  name: 'kv',
  description: "go-plugin's KV example (examples/grpc): cookie BASIC_PLUGIN=hello, version 1, no AutoMTLS",
  host: 'the go-plugin KV example host',
  cookie: { key: 'BASIC_PLUGIN', value: 'hello' },
  protocolVersions: [1],
  autoMTLS: false,
};

/** Terraform's provider handshake: protocol 5 (SDKv2) and 6 (framework), AutoMTLS. */
export const TERRAFORM_PRESET: Preset = {
  name: 'terraform',
  description: 'Terraform providers: cookie TF_PLUGIN_MAGIC_COOKIE, versions 5 and 6, AutoMTLS',
  host: 'Terraform',
  cookie: {
    key: 'TF_PLUGIN_MAGIC_COOKIE',
    value: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
  },
  protocolVersions: [6, 5],
  autoMTLS: true,
};

export const KIT_PRESETS: readonly Preset[] = [KV_PRESET, TERRAFORM_PRESET];

/** `KEY=VALUE` of --cookie; undefined when it is not of that form. */
export function parseCookie(text: string): { key: string; value: string } | undefined {
  const eq = text.indexOf('=');
  if (eq <= 0) return undefined;
  return { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** `5,6` of --protocol-versions; undefined unless every item is a positive integer. */
export function parseVersions(text: string): number[] | undefined {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => !/^\d+$/.test(s) || Number(s) < 1)) return undefined;
  return [...new Set(items.map(Number))];
}
