/**
 * `@qplugin/quorum/observe`: Prometheus metrics, health endpoints and the
 * status page of a plugin host. A subpath of its own, so that loading
 * `@qplugin/quorum` does not load prom-client.
 */
export {
  HostMetrics,
  LATENCY_BUCKETS,
  START_BUCKETS,
  SUPERVISOR_STATES,
  UNKNOWN_METHOD,
  exitStatus,
} from './metrics.js';
export type { HostMetricsOptions, ProviderActivity } from './metrics.js';
export { LatencyHistory, quantile } from './history.js';
export type { HistorySample } from './history.js';
export { processStats } from './proc-stats.js';
export type { ProcessStats } from './proc-stats.js';
export { hostStatus, readiness } from './status.js';
export type { HostStatus, NotReady, ProviderStatus, Readiness } from './status.js';
export { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './page.js';
export { METRICS_PATH, STATUS_JSON_PATH, STATUS_PAGE_PATH, startMetricsServer } from './server.js';
export type { MetricsServer, MetricsServerOptions } from './server.js';
