/**
 * The Node.js flags packed plugins start with, and `qplugin run` relaunches
 * itself with (why: node-flags.ts). A module of its own, importing nothing,
 * so that the launcher reads it before loading anything else.
 */

/** What `qplugin pack` gives a plugin unless told otherwise (`--node-flags ""` for none). */
export const DEFAULT_NODE_FLAGS: readonly string[] = Object.freeze([
  '--max-semi-space-size=4',
  '--min-semi-space-size=4',
]);
