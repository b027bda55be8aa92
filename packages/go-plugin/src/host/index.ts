/** `@qplugin/go-plugin/host`: start, call, supervise and stop go-plugin plugins. */
export { PluginClient } from './client.js';
export type { PluginClientEvents } from './client.js';
export type { PluginClientOptions, ReattachConfig } from './options.js';
export {
  parseReattachConfig,
  parseReattachProviders,
  reattachFromEnv,
  reattachToJson,
  TF_REATTACH_PROVIDERS,
} from './reattach-json.js';
export type { ReattachFromEnvOptions, ReattachJson } from './reattach-json.js';
export type { CallEvent, CallObserver } from '../protocol/call-observer.js';
// What a host needs for the `logger` option, without reaching into /protocol.
export { createHclogLogger, createLogger } from '../protocol/logger.js';
export type { Logger, LoggerOptions, LogSink } from '../protocol/logger.js';
export type { LogFields, LogLevel } from '../protocol/hclog.js';
export type { ExitInfo } from './process.js';
export type { SecureConfig } from './secure-config.js';
export { killAllManaged } from './managed.js';
export { reapLeftovers } from './reap.js';
export type { ReapResult } from './reap.js';
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
} from './supervisor-events.js';
export { RESTART_POLICIES, SUPERVISOR_DEFAULTS } from './supervisor-options.js';
export type {
  PluginSupervisorOptions,
  RestartPolicy,
  StartInfo,
  StartReason,
  SupervisorClock,
  SupervisorTimer,
} from './supervisor-options.js';
export type { BackoffOptions, FailureCause } from './restart-policy.js';
