/** Everything in the host layer, for our own packages and tests (see ../internal.ts): not a public API. */
export * from './index.js';
export { spawnPlugin } from './process.js';
export type { OutputSink, PluginProcess, SpawnInput } from './process.js';
export type { Sink } from './stderr.js';
export { removeAtExit } from './managed.js';
export { makeOwnedDir, MARKED_DIR_PREFIXES } from './ownership.js';
export { reapLeftoversOnce } from './reap.js';
export { StderrPump } from './stderr.js';
export { buildPluginEnv } from './env.js';
export type { PluginEnvInput } from './env.js';
export { checkSupervisorOptions, systemClock } from './supervisor-options.js';
export { backoffDelay, describeCause, describeExit } from './restart-policy.js';
