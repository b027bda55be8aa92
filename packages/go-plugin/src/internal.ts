/**
 * `@qplugin/go-plugin/internal`: the whole protocol, host and plugin layers,
 * for @qplugin/quorum, @qplugin/conformance, @qplugin/cli and tests. Not a
 * public API: names here change without a major version.
 */
export * from './protocol/internal.js';
export * from './host/internal.js';
export * from './plugin/internal.js';
