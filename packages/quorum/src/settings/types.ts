/**
 * Plugin settings as geth reads them (`--plugins file://settings.json` or
 * `[Node.Plugins]` in TOML), after defaults are applied.
 */

/** The plugin interfaces Quorum supports; providers keys are lower-cased to these. */
export const INTERFACE_NAMES = ['helloworld', 'security', 'account', 'qlighttokenmanager'] as const;
export type InterfaceName = (typeof INTERFACE_NAMES)[number];

/** JSON value of `config` as written in the settings (resolved to bytes at each start). */
export type RawConfig =
  string | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown };

export interface PluginDefinition {
  /** Distribution name, e.g. `quorum-plugin-hello-world`. */
  name: string;
  version: string;
  /** Absent when the settings have no `config`. */
  config?: RawConfig;
}

export interface CentralConfig {
  baseURL: string;
  /** Go text/template with {{.Name}} {{.Version}} {{.OS}} {{.Arch}}. */
  pluginDistPathTemplate: string;
  pluginSigPathTemplate: string;
  /** Resolved against baseURL. */
  publicKeyURI: string;
  /** Pinned SHA-256 of the server certificate or of its public key (SPKI), hex with or without colons; '' = no pinning. */
  certFingerprint: string;
  insecureSkipTLSVerify: boolean;
}

export interface Settings {
  /** Absolute plugin base directory (created if missing). */
  baseDir: string;
  central: CentralConfig;
  providers: ReadonlyMap<InterfaceName, PluginDefinition>;
  /** Where these settings came from (file path), for error messages. */
  source?: string;
  /**
   * Things geth silently ignores that are probably mistakes (unknown keys,
   * text after the JSON value, repeated keys), as `file:line:column: text`,
   * for a CLI to show.
   */
  warnings?: readonly string[];
}

/** Go's GOOS/GOARCH for this machine (Node's x64 is Go's amd64, and so on). */
export interface Platform {
  os: string;
  arch: string;
}
