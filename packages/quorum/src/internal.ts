/**
 * `@qplugin/quorum/internal`: every module of the package, for @qplugin/cli,
 * the examples and tests. Not a public API: names here change without a
 * major version. Users import from `@qplugin/quorum`, `/plugin` or `/observe`.
 */
export * from './interfaces/index.js';
export * from './errors.js';
export * from './settings/index.js';
export * from './distribution/index.js';
export * from './manager/index.js';
export * from './rpc/index.js';
export { stringifyJson } from './json-text.js';
export type { JsonReplacer } from './json-text.js';
export type { ParamKind } from './rpc/params.js';
