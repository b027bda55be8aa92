/**
 * `@qplugin/quorum/core/internal`: the error catalog, deep-safe JSON text and
 * Go's platform names, without the manager, gateway, settings parser, gRPC
 * layers or protobuf that the package root and `./internal` load (~40 MB
 * resident and ~200 ms on Node 24). For `qplugin`'s own modules, which every
 * command loads before it knows what it will do. Not a public API; the same
 * modules as the root, so `QuorumError` is one class.
 */
export { QuorumError, QuorumErrorCodes, isQuorumError } from './errors.js';
export type { QuorumErrorCode } from './errors.js';
export { stringifyJson } from './json-text.js';
export type { JsonReplacer } from './json-text.js';
export { goPlatform } from './settings/platform.js';
