/** @qplugin/quorum: Quorum's pluggable architecture for Node.js. */
export * from './interfaces/index.js';
export * from './errors.js';
export * from './settings/index.js';
export * from './distribution/index.js';
export * from './manager/index.js';
export * from './rpc/index.js';
