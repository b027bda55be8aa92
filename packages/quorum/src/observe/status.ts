/**
 * What the health endpoints and the status page say about a host: built
 * from the manager's provider info and the metrics' recent activity. Never
 * a provider's config (it may hold secrets) nor its executable path; error
 * texts have every config string replaced by `[redacted]`.
 */
import type { LastExit, SupervisorState } from '@qplugin/go-plugin/host';

import type { PluginManager } from '../manager/index.js';
import { INTERFACE_NAMES } from '../settings/types.js';
import type { HistorySample } from './history.js';
import type { HostMetrics } from './metrics.js';

export interface NotReady {
  provider: string;
  plugin: string;
  state: SupervisorState;
  /** Why it is not running, when the supervisor knows. */
  error: string | null;
}

export interface Readiness {
  ready: boolean;
  /** The host is shutting down (SIGTERM): not ready whatever the providers say. */
  draining: boolean;
  notReady: NotReady[];
}

/** Ready when not draining, the manager has started and every provider's process is ready. */
export function readiness(manager: PluginManager | undefined, draining: boolean): Readiness {
  const notReady: NotReady[] = [];
  const infos = manager?.pluginsInfo() ?? {};
  for (const name of INTERFACE_NAMES) {
    const info = infos[name];
    if (info && info.state !== 'ready')
      notReady.push({
        provider: name,
        plugin: info.name,
        state: info.state,
        error: info.error === null ? null : manager!.redact(info.error),
      });
  }
  const started = manager !== undefined && (manager.isStarted || Object.keys(infos).length === 0);
  return { ready: started && !draining && notReady.length === 0, draining, notReady };
}

export interface ProviderStatus {
  provider: string;
  plugin: string;
  version: string;
  state: SupervisorState;
  pid: number | null;
  /** Seconds since the current process became ready; null when none is. */
  uptimeSeconds: number | null;
  restarts: number;
  lastError: string | null;
  lastExit: LastExit | null;
  /** Of the last sample; null before the first. */
  callsPerSecond: number | null;
  p99Ms: number | null;
  history: readonly HistorySample[];
}

export interface HostStatus {
  /** ISO time of this report. */
  time: string;
  ready: boolean;
  draining: boolean;
  /** How often calls/s and p99 are sampled, ms. */
  sampleMs: number;
  providers: ProviderStatus[];
}

export function hostStatus(
  metrics: HostMetrics,
  draining: boolean,
  sampleMs: number,
  now: number = Date.now(),
): HostStatus {
  const manager = metrics.attached;
  const infos = manager?.pluginsInfo() ?? {};
  const providers: ProviderStatus[] = [];
  for (const name of INTERFACE_NAMES) {
    const info = infos[name];
    if (!info) continue;
    const { readyAt, history } = metrics.activity(name);
    const last = history[history.length - 1];
    providers.push({
      provider: name,
      plugin: info.name,
      version: info.version,
      state: info.state,
      pid: info.pid,
      uptimeSeconds: info.state === 'ready' && readyAt !== null ? Math.max(0, (now - readyAt) / 1000) : null,
      restarts: info.restarts,
      lastError: info.error === null ? null : manager!.redact(info.error),
      lastExit: info.lastExit && { ...info.lastExit, reason: manager!.redact(info.lastExit.reason) },
      callsPerSecond: last ? last.callsPerSecond : null,
      p99Ms: last ? last.p99Ms : null,
      history,
    });
  }
  return {
    time: new Date(now).toISOString(),
    ready: readiness(manager, draining).ready,
    draining,
    sampleMs,
    providers,
  };
}
