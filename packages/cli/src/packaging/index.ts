/** Building plugin distributions: bundle, zip, checksum. */
export { packPlugin } from './pack.js';
export type { PackOptions, PackResult } from './pack.js';
export { bundlePlugin } from './bundle.js';
export type { BundleOptions } from './bundle.js';
export { DEFAULT_NODE_FLAGS } from './node-flags.js';
export { buildZip } from './zip.js';
export type { ZipEntryInput } from './zip.js';
