/**
 * @qplugin/quorum/internal: helpers the qplugin CLI shares with this package.
 * Not part of the public API: names here may change in any release.
 */
export { stringifyJson } from './json-text.js';
export type { JsonReplacer } from './json-text.js';
export type { ParamKind } from './rpc/params.js';
