/** @qplugin/quorum: Quorum's pluggable architecture for Node.js. */
export * from './interfaces/index.js';
