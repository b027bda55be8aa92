/**
 * PluginSupervisor options and their defaults. Every field is optional but
 * `client`; the defaults are exported so that callers (and the docs) can
 * refer to them, as grpc-js does with its channel options.
 */
import type { CallObserver } from '../protocol/call-observer.js';
import { GoPluginError } from '../protocol/errors.js';
import type { Logger } from '../protocol/logger.js';
import type { PluginClient } from './client.js';
import type { PluginClientOptions } from './options.js';

/**
 * When an incarnation that ended on its own is replaced: `never`; `on-failure`
 * (a non-zero exit code, a signal, a failed health check or a failed restart);
 * `always` (also after exit code 0).
 */
export type RestartPolicy = 'never' | 'on-failure' | 'always';
export const RESTART_POLICIES: readonly RestartPolicy[] = ['never', 'on-failure', 'always'];

/** Why an incarnation is being started. */
export type StartReason = 'start' | 'recover' | 'restart';

export interface StartInfo {
  /** 1 for the first process, +1 for each one after. */
  incarnation: number;
  /** `start()`, an automatic restart after a failure, or `restart()`. */
  reason: StartReason;
}

/** A cancellable timer of a {@link SupervisorClock}. */
export interface SupervisorTimer {
  cancel(): void;
}

/**
 * Time as the supervisor sees it. Inject one in tests to drive backoff,
 * crash windows, health checks and call waits without waiting.
 */
export interface SupervisorClock {
  /** Milliseconds; compared with absolute call deadlines, so Date.now()-based unless a test says otherwise. */
  now(): number;
  /** `keepAlive: false` lets the process exit while the timer is pending. */
  setTimeout(callback: () => void, ms: number, keepAlive?: boolean): SupervisorTimer;
}

export const systemClock: SupervisorClock = {
  now: () => Date.now(),
  setTimeout(callback, ms, keepAlive = true) {
    const t = setTimeout(callback, ms);
    if (!keepAlive) t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface PluginSupervisorOptions {
  /**
   * PluginClient options of every incarnation, or a function returning them,
   * called before each start (it may prepare files, e.g. a fresh workspace).
   * `managed` applies to the supervisor: `killAllManaged()` stops it.
   */
  client: PluginClientOptions | ((start: StartInfo) => PluginClientOptions | Promise<PluginClientOptions>);
  /** Used in log lines and call errors. Default: the command's file name. */
  name?: string;
  /** Default `on-failure`. */
  restart?: RestartPolicy;

  /** Delay before the first automatic restart in a crash window. Default 50 ms. */
  initialBackoffMs?: number;
  /** Each further crash in the window multiplies the delay by this. Default 2. */
  backoffMultiplier?: number;
  /** Upper bound of the delay. Default 30 s. */
  maxBackoffMs?: number;
  /** The delay varies at random by ± this fraction. Default 0.2. */
  backoffJitter?: number;

  /** The crash that makes this many within `crashWindowMs` is not restarted: state `failed`. Default 5. */
  maxCrashes?: number;
  /** Default 60 s. */
  crashWindowMs?: number;

  /** Health check (grpc.health.v1, service "plugin") every this many ms; 0 turns checks off. Default 5 s. */
  healthIntervalMs?: number;
  /** A check not answered within this counts as a miss. Default 2 s. */
  healthTimeoutMs?: number;
  /** This many misses in a row and the plugin is killed and handled as a failure. Default 3. */
  healthMisses?: number;

  /**
   * Longest time a call waits for a (re)start in progress before failing
   * with Unavailable; the call's own deadline, when sooner, wins. Default 10 s.
   */
  maxCallWaitMs?: number;

  /**
   * Runs after each incarnation has started and before calls reach it (e.g.
   * Init with the plugin's config). Rejecting fails that start.
   */
  onStart?: (client: PluginClient, start: StartInfo) => Promise<void> | void;

  /**
   * Told of every call when it ends (method, status code, duration): calls
   * that reached a process (each incarnation's PluginClient reports them,
   * unless its own options set another observer), and calls the supervisor
   * failed itself (not running, not ready in time, cancelled while waiting).
   */
  callObserver?: CallObserver;

  logger?: Logger;
  /** Default: the system clock. */
  clock?: SupervisorClock;
  /** Uniform in [0, 1), for the jitter. Default Math.random. */
  random?: () => number;
}

type Defaulted =
  | 'restart'
  | 'initialBackoffMs'
  | 'backoffMultiplier'
  | 'maxBackoffMs'
  | 'backoffJitter'
  | 'maxCrashes'
  | 'crashWindowMs'
  | 'healthIntervalMs'
  | 'healthTimeoutMs'
  | 'healthMisses'
  | 'maxCallWaitMs';

export const SUPERVISOR_DEFAULTS: Readonly<Required<Pick<PluginSupervisorOptions, Defaulted>>> =
  Object.freeze({
    restart: 'on-failure',
    initialBackoffMs: 50,
    backoffMultiplier: 2,
    maxBackoffMs: 30_000,
    backoffJitter: 0.2,
    maxCrashes: 5,
    crashWindowMs: 60_000,
    healthIntervalMs: 5_000,
    healthTimeoutMs: 2_000,
    healthMisses: 3,
    maxCallWaitMs: 10_000,
  });

export type ResolvedSupervisorOptions = PluginSupervisorOptions &
  Required<Pick<PluginSupervisorOptions, Defaulted>> & { clock: SupervisorClock; random: () => number };

const invalid = (field: string, value: unknown, rule: string): GoPluginError =>
  new GoPluginError('INVALID_OPTIONS', `supervisor option ${field} is ${JSON.stringify(value)}: ${rule}`, {
    fix: `Set ${field} to ${rule}, or leave it out for the default (${JSON.stringify((SUPERVISOR_DEFAULTS as Record<string, unknown>)[field])}).`,
    details: { field, value },
  });

function check(field: string, value: number, rule: string, ok: (v: number) => boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) throw invalid(field, value, rule);
}

export function resolveSupervisorOptions(o: PluginSupervisorOptions): ResolvedSupervisorOptions {
  if (o.client === undefined || o.client === null) {
    throw new GoPluginError('INVALID_OPTIONS', 'supervisor option client is missing', {
      fix: 'Pass the PluginClient options (or a function returning them) as `client`.',
    });
  }
  return { ...checkSupervisorOptions(o), client: o.client };
}

/**
 * The supervision options (all but `client`) with their defaults; throws an
 * INVALID_OPTIONS error naming the first field out of range.
 */
export function checkSupervisorOptions(
  o: Omit<PluginSupervisorOptions, 'client'>,
): Omit<ResolvedSupervisorOptions, 'client'> {
  const r: Omit<ResolvedSupervisorOptions, 'client'> = {
    ...SUPERVISOR_DEFAULTS,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
    clock: o.clock ?? systemClock,
    random: o.random ?? Math.random,
  };
  if (!RESTART_POLICIES.includes(r.restart)) throw invalid('restart', r.restart, RESTART_POLICIES.join(', '));
  const whole = (v: number): boolean => Number.isInteger(v);
  check('initialBackoffMs', r.initialBackoffMs, 'a whole number of ms ≥ 0', (v) => whole(v) && v >= 0);
  check('backoffMultiplier', r.backoffMultiplier, 'a number ≥ 1', (v) => v >= 1);
  check(
    'maxBackoffMs',
    r.maxBackoffMs,
    `a whole number of ms ≥ initialBackoffMs (${r.initialBackoffMs})`,
    (v) => whole(v) && v >= r.initialBackoffMs,
  );
  check('backoffJitter', r.backoffJitter, 'a fraction from 0 to 1', (v) => v >= 0 && v <= 1);
  check('maxCrashes', r.maxCrashes, 'a whole number ≥ 1', (v) => whole(v) && v >= 1);
  check('crashWindowMs', r.crashWindowMs, 'a whole number of ms ≥ 1', (v) => whole(v) && v >= 1);
  check(
    'healthIntervalMs',
    r.healthIntervalMs,
    'a whole number of ms ≥ 0 (0: off)',
    (v) => whole(v) && v >= 0,
  );
  check('healthTimeoutMs', r.healthTimeoutMs, 'a whole number of ms ≥ 1', (v) => whole(v) && v >= 1);
  check('healthMisses', r.healthMisses, 'a whole number ≥ 1', (v) => whole(v) && v >= 1);
  check('maxCallWaitMs', r.maxCallWaitMs, 'a whole number of ms ≥ 0', (v) => whole(v) && v >= 0);
  return r;
}
