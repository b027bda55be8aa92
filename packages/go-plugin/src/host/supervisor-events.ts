/**
 * What a PluginSupervisor reports: its states, the payloads of its events,
 * and the status snapshot of info().
 */
import type { HealthResult } from './health-monitor.js';
import type { ExitInfo } from './process.js';
import type { FailureCause } from './restart-policy.js';
import type { RestartPolicy, StartInfo } from './supervisor-options.js';

/**
 * `new` until start(); `starting` while a process starts (and onStart runs);
 * `ready` when calls reach it; `restarting` during the backoff delay after a
 * failure; `failed` once it will not be restarted (start failed, budget spent,
 * policy); `stopped` after stop() (or an exit the policy does not restart).
 */
export type SupervisorState = 'new' | 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

export interface ReadyEvent extends StartInfo {
  pid: number;
  /** For an automatic restart: ms since the failure. */
  downtimeMs?: number;
}

export interface ExitedEvent {
  incarnation: number;
  pid: number;
  exit: ExitInfo;
  /** true when the supervisor ended it (stop, restart, failed health checks). */
  expected: boolean;
}

export interface RestartingEvent {
  /** The incarnation that failed. */
  incarnation: number;
  cause: FailureCause;
  /** What happened, in words (`killed by SIGKILL`). */
  reason: string;
  delayMs: number;
  /** Crashes within the window, this one included. */
  crashes: number;
  maxCrashes: number;
  crashWindowMs: number;
}

export interface FailedEvent {
  cause: FailureCause;
  /** Why it is not restarted, in words. */
  reason: string;
  crashes: number;
}

export interface HealthEvent extends HealthResult {
  incarnation: number;
}

export interface PluginSupervisorEvents {
  starting: [StartInfo];
  ready: [ReadyEvent];
  exited: [ExitedEvent];
  restarting: [RestartingEvent];
  failed: [FailedEvent];
  stopped: [];
  health: [HealthEvent];
}

/** The last failure, for status reports. */
export interface LastExit {
  /** ISO time (of the supervisor's clock). */
  at: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  reason: string;
}

export interface SupervisorInfo {
  state: SupervisorState;
  policy: RestartPolicy;
  /** pid of the current process, null when none runs. */
  pid: number | null;
  incarnation: number;
  /** Automatic restarts attempted since start() (restart() and failed first starts not counted). */
  restarts: number;
  /** Crashes within the current window. */
  recentCrashes: number;
  lastExit: LastExit | null;
  /** Why the state is `failed` (or `stopped` by the plugin's own exit). */
  reason: string | null;
}
