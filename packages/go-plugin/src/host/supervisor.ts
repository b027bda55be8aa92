/**
 * PluginSupervisor: keeps a plugin running. Each process ("incarnation") is
 * a fresh PluginClient; when one ends without being asked to (crash, exit,
 * failed health checks), the restart policy decides, a backoff delay with
 * jitter spaces the restarts, and a crash budget stops a crash loop (state
 * `failed`). `onStart` runs on every incarnation (e.g. Init with the same
 * config). Calls made through `client(Service)` reach the current
 * incarnation; during a restart they wait for it, bounded by their deadline
 * and a cap, and once the supervisor has given up they fail at once.
 *
 * Built on PluginClient's public API only: start(), the `exited` event,
 * client(), ping(), kill().
 */
import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import type { DescMethod, DescService } from '@bufbuild/protobuf';

import { report } from '../protocol/call-observer.js';
import { GoPluginError, isGoPluginError } from '../protocol/errors.js';
import { silentLogger } from '../protocol/logger.js';
import type { Logger } from '../protocol/logger.js';
import { isRpcError, RpcError, Status } from '../protocol/rpc-error.js';
import type { CallOptions, Client } from '../protocol/rpc-types.js';
import { methodPath } from '../protocol/rpc-types.js';
import type { GRPCBroker } from '../protocol/broker.js';
import { PluginClient } from './client.js';
import { HealthMonitor } from './health-monitor.js';
import { registerManaged, unregisterManaged } from './managed.js';
import type { ExitInfo } from './process.js';
import { backoffDelay, CrashWindow, describeCause, isFailure, wantsRestart } from './restart-policy.js';
import type { FailureCause } from './restart-policy.js';
import { supervisedClient } from './supervised-client.js';
import type { Acquired } from './supervised-client.js';
import { resolveSupervisorOptions } from './supervisor-options.js';
import type {
  LastExit,
  PluginSupervisorEvents,
  SupervisorInfo,
  SupervisorState,
} from './supervisor-events.js';
import type {
  PluginSupervisorOptions,
  ResolvedSupervisorOptions,
  StartInfo,
  StartReason,
  SupervisorTimer,
} from './supervisor-options.js';

interface Incarnation {
  readonly n: number;
  readonly client: PluginClient;
  /** client.start(), settled or not. */
  started?: Promise<void>;
  phase: 'starting' | 'ready' | 'down';
  /** The supervisor ended (or is ending) it: its exit is no failure. */
  expected: boolean;
  killing?: Promise<unknown>;
  health?: HealthMonitor;
  readonly clients: Map<DescService, Client<DescService>>;
}

interface Waiter {
  wake(): void;
}

const noop = (): void => {};

export class PluginSupervisor extends EventEmitter<PluginSupervisorEvents> {
  private readonly o: ResolvedSupervisorOptions;
  private readonly logger: Logger;
  private readonly name: string;
  private stateValue: SupervisorState = 'new';
  private current: Incarnation | undefined;
  private incarnations = 0;
  private restarts = 0;
  private readonly crashes: CrashWindow;
  private restartTimer: SupervisorTimer | undefined;
  /** Lifecycle operations (starts, restarts) run one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private started: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly waiters = new Set<Waiter>();
  private lastExit: LastExit | null = null;
  private endReason: string | null = null;
  private downSince: number | undefined;
  private readonly stubs = new Map<DescService, Client<DescService>>();
  private managed = false;
  private readonly managedHandle = { kill: () => this.stop(), forceKillNow: noop };

  constructor(options: PluginSupervisorOptions) {
    super();
    this.o = resolveSupervisorOptions(options);
    this.crashes = new CrashWindow(this.o.crashWindowMs);
    const fixed = typeof options.client === 'function' ? undefined : options.client;
    this.name = options.name ?? (fixed?.command ? basename(fixed.command) : 'plugin');
    // Lines carry the context of the logger given (e.g. logger.with({ plugin: 'kv' })).
    this.logger = options.logger ?? silentLogger;
  }

  get state(): SupervisorState {
    return this.stateValue;
  }

  /** pid of the current process, 0 when none runs. */
  get pid(): number {
    const c = this.current;
    return c && !c.client.hasExited ? c.client.pid : 0;
  }

  /** The broker of the current process (a new one after each restart). */
  get broker(): GRPCBroker {
    return this.requireReady('broker').client.broker;
  }

  /** The app protocol version the current process negotiated. */
  get negotiatedVersion(): number {
    return this.requireReady('negotiatedVersion').client.negotiatedVersion;
  }

  info(): SupervisorInfo {
    const pid = this.pid;
    return {
      state: this.stateValue,
      policy: this.o.restart,
      pid: pid === 0 ? null : pid,
      incarnation: this.incarnations,
      restarts: this.restarts,
      recentCrashes: this.crashes.count(this.o.clock.now()),
      lastExit: this.lastExit,
      reason: this.endReason,
    };
  }

  /**
   * Starts the first process (and runs onStart). Idempotent. A failure here
   * is not retried (state `failed`): it is a configuration problem to report.
   */
  start(): Promise<void> {
    if (this.stopping) return Promise.reject(this.stateError('start'));
    // Calls made from now on wait for this start.
    if (!this.started) this.setState('starting');
    this.started ??= this.enqueue(async () => {
      try {
        await this.launch('start');
      } catch (err) {
        if (!this.stopping)
          this.giveUp({ kind: 'start-failed', error: err as Error }, 'the first start failed');
        throw err;
      }
    });
    return this.started;
  }

  /**
   * Replaces the process on request: the current one is killed (not a crash),
   * the crash window is cleared, a new one starts (the client options
   * function runs again) and onStart runs. Calls wait meanwhile. Also brings a
   * `failed` supervisor back. Rejects (state `failed`) if the new process fails to start.
   */
  restart(): Promise<void> {
    if (this.stopping || !this.started) return Promise.reject(this.stateError('restart'));
    this.cancelRestartTimer();
    this.setState('starting');
    return this.enqueue(async () => {
      if (this.stopping) throw this.stateError('restart');
      this.cancelRestartTimer();
      this.crashes.reset();
      this.endReason = null;
      const old = this.current;
      if (old && !old.client.hasExited) this.retire(old);
      try {
        await this.launch('restart');
      } catch (err) {
        if (!this.stopping)
          this.giveUp({ kind: 'start-failed', error: err as Error }, 'a requested restart failed');
        throw err;
      }
    });
  }

  /** Cancels a pending restart and kills the process (not restarted). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.cancelRestartTimer();
      const inc = this.current;
      // Already `stopped` when the plugin exited by itself and the policy let it be: said so then.
      const announce = this.stateValue !== 'stopped';
      this.setState('stopped');
      if (inc) await this.retire(inc);
      // A start in progress sees `stopping` and kills what it started.
      await this.queue;
      if (this.managed) unregisterManaged(this.managedHandle);
      this.logger.debug('plugin supervisor stopped');
      if (announce) this.emit('stopped');
    })();
    return this.stopping;
  }

  /**
   * stop(), named as PluginClient's: a process ended this way is never
   * restarted. (Kill the supervisor, not the PluginClient handed to onStart:
   * the supervisor cannot tell that exit from a crash.)
   */
  kill(): Promise<void> {
    return this.stop();
  }

  /** A typed client; every call goes to the current process (see the class comment). */
  client<S extends DescService>(svc: S): Client<S> {
    let stub = this.stubs.get(svc);
    if (!stub) {
      stub = supervisedClient(svc, (s, options, method) => this.acquire(s, options, method));
      this.stubs.set(svc, stub);
    }
    return stub as Client<S>;
  }

  // ---- lifecycle -----------------------------------------------------------

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(op);
    this.queue = run.catch(noop);
    return run;
  }

  private async launch(reason: StartReason): Promise<void> {
    const previous = this.current;
    const n = ++this.incarnations;
    const start: StartInfo = { incarnation: n, reason };
    this.setState('starting');
    this.emit('starting', start);
    this.logger.debug('starting plugin process', { incarnation: n, reason });
    // Never two processes at once.
    if (previous?.killing) await previous.killing.catch(noop);
    if (this.stopping) throw this.stateError('start');
    const options = typeof this.o.client === 'function' ? await this.o.client(start) : this.o.client;
    if (this.stopping) throw this.stateError('start');
    if (options.managed && !this.managed) {
      // Registered before its first PluginClient, so killAllManaged() stops the supervisor
      // before the processes exit: processes killed that way are not restarted.
      this.managed = true;
      registerManaged(this.managedHandle);
    }
    const client = new PluginClient({
      ...options,
      logger: options.logger ?? this.o.logger,
      callObserver: options.callObserver ?? this.o.callObserver,
    });
    const inc: Incarnation = { n, client, phase: 'starting', expected: false, clients: new Map() };
    this.current = inc;
    client.once('exited', (exit) => this.onExited(inc, exit));
    try {
      inc.started = client.start();
      await inc.started;
      await this.o.onStart?.(client, start);
      if (client.hasExited) throw new GoPluginError('PROCESS_EXITED', 'the plugin exited while starting');
      if (this.stopping) throw this.stateError('start');
    } catch (err) {
      await this.retire(inc);
      throw err;
    }
    inc.phase = 'ready';
    this.startHealth(inc);
    const downtimeMs = this.downSince === undefined ? undefined : this.o.clock.now() - this.downSince;
    this.downSince = undefined;
    this.setState('ready');
    this.emit('ready', { ...start, pid: client.pid, ...(downtimeMs === undefined ? {} : { downtimeMs }) });
    if (reason === 'recover') {
      this.logger.info('plugin restarted', { incarnation: n, pid: client.pid, downtimeMs });
    }
  }

  /** Ends an incarnation on purpose: its exit is not a failure. */
  private retire(inc: Incarnation): Promise<unknown> {
    inc.expected = true;
    inc.health?.stop();
    // PluginClient.kill() while start() still waits for the handshake would leave the
    // process being launched running (and its socket directory behind): let start() settle first.
    inc.killing ??= (inc.started ?? Promise.resolve())
      .catch(noop)
      .then(() => inc.client.kill())
      .catch(noop);
    return inc.killing;
  }

  private onExited(inc: Incarnation, exit: ExitInfo): void {
    inc.health?.stop();
    this.emit('exited', { incarnation: inc.n, pid: inc.client.pid, exit, expected: inc.expected });
    // Exits while starting are the start's failure; exits we caused are no failure.
    if (inc.expected || inc.phase !== 'ready') return;
    inc.phase = 'down';
    this.onFailure(inc, { kind: 'exited', exit });
  }

  private startHealth(inc: Incarnation): void {
    if (this.o.healthIntervalMs === 0) return;
    inc.health = new HealthMonitor({
      clock: this.o.clock,
      intervalMs: this.o.healthIntervalMs,
      timeoutMs: this.o.healthTimeoutMs,
      misses: this.o.healthMisses,
      ping: (options) => inc.client.ping(options),
      onResult: (r) => {
        if (!r.ok) {
          this.logger.warn('plugin health check failed', {
            incarnation: inc.n,
            misses: r.misses,
            of: this.o.healthMisses,
            error: r.error,
          });
        }
        this.emit('health', { incarnation: inc.n, ...r });
      },
      onUnresponsive: (misses, error) => {
        if (inc.phase !== 'ready' || inc.expected) return;
        inc.phase = 'down';
        // Killed by us (no second failure when it exits), handled as a failure of its own.
        void this.retire(inc);
        this.onFailure(inc, { kind: 'unhealthy', misses, error });
      },
    });
    inc.health.start();
  }

  /** An incarnation failed (or ended by itself): restart it, or give up. */
  private onFailure(inc: Incarnation | undefined, cause: FailureCause): void {
    if (this.stopping) return;
    const now = this.o.clock.now();
    this.downSince ??= now;
    const exit =
      cause.kind === 'exited' ? cause.exit : cause.kind === 'start-failed' ? cause.exit : undefined;
    const reason = describeCause(cause);
    this.lastExit = {
      at: new Date(now).toISOString(),
      code: exit?.code ?? null,
      signal: exit?.signal ?? null,
      reason,
    };
    const fields = {
      incarnation: inc?.n ?? this.incarnations,
      pid: inc?.client.pid,
      code: exit?.code ?? undefined,
      signal: exit?.signal ?? undefined,
    };
    if (!wantsRestart(this.o.restart, cause)) {
      const why = `restart policy ${this.o.restart}`;
      if (isFailure(cause)) {
        this.logger.error(`plugin ${reason}; not restarting (${why})`, fields);
        this.giveUp(cause, why);
      } else {
        this.logger.warn(`plugin ${reason} by itself; not restarting (${why})`, fields);
        this.endReason = `${reason} by itself (${why})`;
        this.setState('stopped');
        this.emit('stopped');
      }
      return;
    }
    const crashes = this.crashes.record(now);
    const budget = `${this.o.maxCrashes} crashes within ${formatMs(this.o.crashWindowMs)}`;
    if (crashes >= this.o.maxCrashes) {
      this.logger.error(`plugin ${reason}; giving up: ${budget}`, { ...fields, crashes });
      this.giveUp(cause, budget);
      return;
    }
    const delayMs = backoffDelay(crashes, this.o, this.o.random);
    this.logger.error(
      `plugin ${reason}; restarting in ${delayMs} ms (crash ${crashes}; gives up at ${budget})`,
      { ...fields, crashes, delayMs },
    );
    this.setState('restarting');
    this.emit('restarting', {
      incarnation: inc?.n ?? this.incarnations,
      cause,
      reason,
      delayMs,
      crashes,
      maxCrashes: this.o.maxCrashes,
      crashWindowMs: this.o.crashWindowMs,
    });
    this.restartTimer = this.o.clock.setTimeout(() => {
      this.restartTimer = undefined;
      void this.enqueue(() => this.recover());
    }, delayMs);
  }

  private async recover(): Promise<void> {
    // A restart() or stop() came first.
    if (this.stopping || this.stateValue !== 'restarting') return;
    this.restarts++;
    try {
      await this.launch('recover');
    } catch (err) {
      if (this.stopping) return;
      // The process of this attempt, if it got that far, and its exit status if it has one.
      const inc = this.current?.n === this.incarnations ? this.current : undefined;
      const exit = exitBeforeHandshake(err) ?? (inc?.client.hasExited ? await inc.client.exited : undefined);
      const known = exit && (exit.code !== null || exit.signal !== null) ? exit : undefined;
      this.onFailure(inc, { kind: 'start-failed', error: err as Error, ...(known ? { exit: known } : {}) });
    }
  }

  private giveUp(cause: FailureCause, why: string): void {
    this.endReason = `${why} (last: ${describeCause(cause)})`;
    this.setState('failed');
    this.emit('failed', { cause, reason: this.endReason, crashes: this.crashes.count(this.o.clock.now()) });
  }

  private cancelRestartTimer(): void {
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
  }

  private setState(state: SupervisorState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    for (const w of [...this.waiters]) w.wake();
  }

  // ---- calls ---------------------------------------------------------------

  private stateError(operation: string): GoPluginError {
    return new GoPluginError(
      'CLIENT_STATE',
      `cannot ${operation}: the plugin supervisor is ${this.stateValue}`,
      {
        fix: this.stopping ? 'Create a new PluginSupervisor.' : 'Call start() first.',
        details: { state: this.stateValue },
      },
    );
  }

  private requireReady(what: string): Incarnation {
    const c = this.current;
    if (this.stateValue !== 'ready' || !c || c.client.hasExited) throw this.stateError(`read ${what}`);
    return c;
  }

  /** Why calls fail at once in the current state; undefined when they may wait. */
  private unavailable(): RpcError | undefined {
    switch (this.stateValue) {
      case 'new':
        return new RpcError(Status.UNAVAILABLE, `plugin ${this.name} is not running (not started)`);
      case 'stopped':
        return new RpcError(
          Status.UNAVAILABLE,
          `plugin ${this.name} is not running (${this.endReason ?? 'stopped'})`,
        );
      case 'failed':
        return new RpcError(
          Status.UNAVAILABLE,
          `plugin ${this.name} is not running and will not be restarted: ${this.endReason ?? 'failed'}`,
        );
      default:
        return undefined;
    }
  }

  private acquired(inc: Incarnation, svc: DescService, options: CallOptions | undefined): Acquired {
    let client = inc.clients.get(svc);
    if (!client) {
      client = inc.client.client(svc);
      inc.clients.set(svc, client);
    }
    return { client, options };
  }

  /** The current incarnation's client for `svc`: at once when ready, else after waiting for a (re)start. */
  private acquire(
    svc: DescService,
    options: CallOptions | undefined,
    method: DescMethod,
  ): Acquired | Promise<Acquired> {
    const inc = this.current;
    if (this.stateValue === 'ready' && inc) return this.acquired(inc, svc, options);
    const observer = this.o.callObserver;
    if (!observer) return this.waitForReady(svc, options);
    // Calls that never reach a process are reported here (those that do, by the PluginClient).
    const startedAt = performance.now();
    return this.waitForReady(svc, options).catch((err: unknown) => {
      report(observer, methodPath(method), isRpcError(err) ? err.code : Status.UNKNOWN, startedAt);
      throw err;
    });
  }

  private async waitForReady(svc: DescService, options: CallOptions | undefined): Promise<Acquired> {
    const clock = this.o.clock;
    const t0 = clock.now();
    const deadline = options?.deadline;
    const deadlineAt =
      deadline === undefined ? Infinity : typeof deadline === 'number' ? t0 + deadline : deadline.getTime();
    const capAt = t0 + this.o.maxCallWaitMs;
    for (;;) {
      const failed = this.unavailable();
      if (failed) throw failed;
      const inc = this.current;
      if (this.stateValue === 'ready' && inc) {
        const waited = clock.now() - t0;
        // A relative deadline counts from the call, not from the end of the wait.
        const rest =
          typeof deadline === 'number' ? { ...options, deadline: Math.max(1, deadline - waited) } : options;
        return this.acquired(inc, svc, rest);
      }
      await this.waitForChange(Math.min(deadlineAt, capAt), deadlineAt <= capAt, options?.signal);
    }
  }

  /** Resolves on the next state change; rejects at `until` or when `signal` aborts. */
  private waitForChange(until: number, byDeadline: boolean, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const clock = this.o.clock;
      // Recovering from a failure (backoff or the new process starting), or a plain start.
      const recovering = this.downSince !== undefined;
      const doing = recovering ? 'restarting' : 'starting';
      const since = recovering && this.lastExit ? ` (last: ${this.lastExit.reason})` : '';
      const finish = (err?: Error): void => {
        this.waiters.delete(waiter);
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const waiter: Waiter = { wake: () => finish() };
      const cancelled = (): RpcError =>
        new RpcError(
          Status.CANCELLED,
          `call cancelled while plugin ${this.name} was ${doing}: ${String((signal?.reason as Error | undefined)?.message ?? 'aborted')}`,
        );
      if (signal?.aborted) return reject(cancelled());
      const onAbort = (): void => finish(cancelled());
      const timer = clock.setTimeout(
        () =>
          finish(
            byDeadline
              ? new RpcError(
                  Status.DEADLINE_EXCEEDED,
                  `deadline exceeded while plugin ${this.name} was ${doing}${since}`,
                )
              : new RpcError(
                  Status.UNAVAILABLE,
                  `plugin ${this.name} is ${doing}${since}: not ready within ${this.o.maxCallWaitMs} ms`,
                ),
          ),
        Math.max(0, until - clock.now()),
      );
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The exit status a PROCESS_EXITED start error carries. */
function exitBeforeHandshake(err: unknown): ExitInfo | undefined {
  if (!isGoPluginError(err, 'PROCESS_EXITED')) return undefined;
  const { code, signal } = err.details as { code?: number | null; signal?: NodeJS.Signals | null };
  return { code: code ?? null, signal: signal ?? null };
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
