/** Everything in the host layer, for our own packages and tests (see ../internal.ts): not a public API. */
export { PluginClient } from './client.js';
export type { PluginClientEvents } from './client.js';
export type { PluginClientOptions, ReattachConfig } from './options.js';
export type { CallEvent, CallObserver } from '../protocol/call-observer.js';
export { spawnPlugin } from './process.js';
export type { ExitInfo, OutputSink, PluginProcess, SpawnInput } from './process.js';
export type { SecureConfig } from './secure-config.js';
export type { Sink } from './stderr.js';
export { killAllManaged, removeAtExit } from './managed.js';
export { makeOwnedDir, MARKED_DIR_PREFIXES } from './ownership.js';
export { reapLeftovers, reapLeftoversOnce } from './reap.js';
export type { ReapResult } from './reap.js';
export { StderrPump } from './stderr.js';
export { buildPluginEnv } from './env.js';
export type { PluginEnvInput } from './env.js';
export { PluginSupervisor } from './supervisor.js';
export type {
  ExitedEvent,
  FailedEvent,
  HealthEvent,
  LastExit,
  PluginSupervisorEvents,
  ReadyEvent,
  RestartingEvent,
  SupervisorInfo,
  SupervisorState,
} from './supervisor.js';
export {
  checkSupervisorOptions,
  RESTART_POLICIES,
  SUPERVISOR_DEFAULTS,
  systemClock,
} from './supervisor-options.js';
export type {
  PluginSupervisorOptions,
  RestartPolicy,
  StartInfo,
  StartReason,
  SupervisorClock,
  SupervisorTimer,
} from './supervisor-options.js';
export { backoffDelay, describeCause, describeExit } from './restart-policy.js';
export type { BackoffOptions, FailureCause } from './restart-policy.js';
