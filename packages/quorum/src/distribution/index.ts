/**
 * Plugin distribution: find or download a plugin zip, verify it, unpack it
 * safely and read its plugin-meta.json. `obtainPlugin` runs the whole chain;
 * the pieces are exported for tools and tests.
 */
export { obtainPlugin, removeWorkspace } from './obtain.js';
export type { ObtainOptions, ObtainedPlugin, ObtainTimings } from './obtain.js';

export { distributionFileNames, findLocalDistribution, signatureFileFor } from './lookup.js';
export type { DistributionForm, DistributionNames, LocatedDistribution } from './lookup.js';

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

export {
  DEFAULT_MAX_ARCHIVE_BYTES,
  readArchive,
  sha256Checksum,
  sha256File,
  snapshotArchive,
} from './archive.js';
export type { ArchiveSnapshot } from './archive.js';
export { normalizeKeyFingerprint, readPublicKeys, verifyChecksumSignature } from './signature.js';
export type { SignatureCheck, SignedOver, VerifySignatureInput } from './signature.js';
export { generateSigningKey, signChecksum } from './signing.js';
export type { GenerateSigningKeyOptions, SignChecksumOptions, SigningKeyPair } from './signing.js';
export { verifyDistribution } from './verifier.js';
export type { VerificationMode, VerificationResult, VerifyOptions } from './verifier.js';
export { resolveKeyPath } from './key-path.js';

export { DEFAULT_UNPACK_LIMITS, unpackArchive } from './unpack.js';
export type { ArchiveSource, UnpackLimits, UnpackOptions, UnpackResult, UnpackedFile } from './unpack.js';
export { EntryNames, entrySegments, planEntry } from './zip-entry.js';
export type { EntryHeader, EntryPlan } from './zip-entry.js';
export { PLUGIN_META_FILE, checkMetaMatches, loadPluginMeta, parsePluginMeta } from './meta.js';
export type { LoadedMeta, PluginMeta } from './meta.js';
