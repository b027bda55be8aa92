/**
 * Plugin distribution: find or download a plugin zip, verify it, unpack it
 * safely and read its plugin-meta.json. `obtainPlugin` runs the whole chain;
 * the pieces are exported for tools and tests.
 */
export { obtainPlugin, removeWorkspace } from './obtain.js';
export type { ObtainOptions, ObtainedPlugin, ObtainTimings } from './obtain.js';

// Everything that works on a zip on disk (no network code): see local.ts.
export * from './local.js';

export type { TemplateData, TemplateRenderer } from './template.js';
export {
  ORIGIN_MISMATCH,
  centralURLs,
  checkSameOrigin,
  isSameOrigin,
  parseBaseURL,
  resolveCentralURL,
} from './urls.js';
export type { CentralURLs } from './urls.js';

export { CentralClient, DOWNLOAD_DEFAULTS } from './central.js';
export type { CentralClientOptions, DownloadOptions, DownloadedDistribution } from './central.js';
export type { DownloadProgress } from './http-get.js';
export { bypassesProxy, proxyFor } from './proxy.js';
export type { ProxyEnv } from './proxy.js';
export { certificateFingerprints, formatFingerprint, normalizePin, parsePins } from './fingerprint.js';
export type { CertificateFingerprints } from './fingerprint.js';

export { generateSigningKey, signChecksum } from './signing.js';
export type { GenerateSigningKeyOptions, SignChecksumOptions, SigningKeyPair } from './signing.js';
