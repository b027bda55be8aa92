/**
 * geth's Plugin Central defaults (Quorum 21.4.1 and later: Cloudsmith, path
 * templates, `gpg.key`).
 */
import type { CentralConfig } from './types.js';

/** File name of the PGP public key in baseDir for --plugins.localverify. */
export const DEFAULT_PUBLIC_KEY_FILE = 'gpg.key';

const DEFAULT_CENTRAL: Readonly<CentralConfig> = Object.freeze({
  baseURL: 'https://artifacts.consensys.net/public/quorum-go-plugins/',
  publicKeyURI: DEFAULT_PUBLIC_KEY_FILE,
  pluginDistPathTemplate: 'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}.zip',
  pluginSigPathTemplate:
    'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}-sha256.checksum.asc',
  certFingerprint: '',
  insecureSkipTLSVerify: false,
});

/** A fresh copy of geth's default central configuration (used when `central` is absent). */
export function defaultCentral(): CentralConfig {
  return { ...DEFAULT_CENTRAL };
}

/**
 * geth's `PluginCentralConfiguration.SetDefaults` on a present `central`:
 * only empty baseURL, publicKeyURI and the two templates are filled;
 * certFingerprint and insecureSkipTLSVerify are never defaulted.
 */
export function withCentralDefaults(central: Partial<CentralConfig> | undefined): CentralConfig {
  if (central === undefined) return defaultCentral();
  const orDefault = (value: string | undefined, fallback: string): string =>
    value === undefined || value === '' ? fallback : value;
  return {
    baseURL: orDefault(central.baseURL, DEFAULT_CENTRAL.baseURL),
    publicKeyURI: orDefault(central.publicKeyURI, DEFAULT_CENTRAL.publicKeyURI),
    pluginDistPathTemplate: orDefault(central.pluginDistPathTemplate, DEFAULT_CENTRAL.pluginDistPathTemplate),
    pluginSigPathTemplate: orDefault(central.pluginSigPathTemplate, DEFAULT_CENTRAL.pluginSigPathTemplate),
    certFingerprint: central.certFingerprint ?? '',
    insecureSkipTLSVerify: central.insecureSkipTLSVerify ?? false,
  };
}
