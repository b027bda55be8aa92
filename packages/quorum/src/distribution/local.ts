/**
 * A distribution on disk, without the network: find it, snapshot and hash it,
 * check its signature, unpack it, read its plugin-meta.json; make a signing
 * key and sign a checksum (`qplugin keygen`, `sign`). This module
 * loads no HTTP/TLS code (Plugin Central's client, ~9 MB resident on Node 24)
 * and openpgp only when a signature is checked or made: `@qplugin/quorum/distribution/internal`
 * is this module, for processes that only verify and unpack.
 */
export { distributionFileNames, findLocalDistribution, signatureFileFor } from './lookup.js';
export type { DistributionForm, DistributionNames, LocatedDistribution } from './lookup.js';

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
export { verifyDistribution } from './verifier.js';
export type { VerificationMode, VerificationResult, VerifyOptions } from './verifier.js';
export { resolveKeyPath } from './key-path.js';
export { generateSigningKey, signChecksum } from './signing.js';
export type { GenerateSigningKeyOptions, SignChecksumOptions, SigningKeyPair } from './signing.js';

export { DEFAULT_UNPACK_LIMITS, unpackArchive } from './unpack.js';
export type { ArchiveSource, UnpackLimits, UnpackOptions, UnpackResult, UnpackedFile } from './unpack.js';
export { EntryNames, entrySegments, planEntry } from './zip-entry.js';
export type { EntryHeader, EntryPlan } from './zip-entry.js';
export { PLUGIN_META_FILE, checkMetaMatches, loadPluginMeta, parsePluginMeta } from './meta.js';
export type { LoadedMeta, PluginMeta } from './meta.js';
