/**
 * Keeps a qlight token fresh: refreshes it `anticipation` ms before its JWT
 * `exp` (at once if that moment has passed), then schedules the next refresh
 * from the new token. Clock and timers are injectable for tests.
 */
import { silentLogger, messageOf } from '@qplugin/go-plugin/protocol';
import type { Logger } from '@qplugin/go-plugin/protocol';

import { jwtExpiry } from './qlight-jwt.js';
import type { QLightTokenManagerGateway } from './qlight.js';

export interface RefreshTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real time; timers are unref'd so a pending refresh never keeps the process alive. */
export const realTimers: RefreshTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface TokenRefreshSchedulerOptions {
  gateway: Pick<QLightTokenManagerGateway, 'refreshAnticipation' | 'tokenRefresh'>;
  /** The token to start from; empty or without a readable `exp` means "refresh now". */
  token: string;
  psi: string;
  timers?: RefreshTimers;
  /** Wait after a failed refresh before trying again. Default 5000 ms. */
  retryMs?: number;
  logger?: Logger;
  onRefresh?: (token: string) => void;
  onError?: (err: Error) => void;
}

/** setTimeout's limit; longer waits are made of several timers. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class TokenRefreshScheduler {
  private readonly options: TokenRefreshSchedulerOptions;
  private readonly timers: RefreshTimers;
  private readonly logger: Logger;
  private current: string;
  private anticipation = 0;
  private timer: unknown;
  private dueAt: number | undefined;
  private inFlight: Promise<string> | undefined;
  private stopped = false;

  constructor(options: TokenRefreshSchedulerOptions) {
    this.options = options;
    this.timers = options.timers ?? realTimers;
    this.logger = options.logger ?? silentLogger;
    this.current = options.token;
  }

  get token(): string {
    return this.current;
  }

  /** When the next refresh is due (clock ms), undefined when none is scheduled. */
  get nextRefreshAt(): number | undefined {
    return this.dueAt;
  }

  /** Asks the plugin for its anticipation, then schedules the first refresh. */
  async start(): Promise<void> {
    this.anticipation = Math.max(0, await this.options.gateway.refreshAnticipation());
    if (this.stopped) return;
    const delay = this.delayFor(this.current);
    if (delay === undefined) this.logger.info('qlight token has no readable expiry: refreshing now');
    this.schedule(delay ?? 0);
  }

  /** Refreshes now (sharing a refresh already running) and reschedules. */
  refreshNow(): Promise<string> {
    if (this.stopped) return Promise.reject(new Error('token refresh scheduler is stopped'));
    if (!this.inFlight) {
      this.cancelTimer();
      const attempt = this.fetch();
      this.inFlight = attempt;
      // Registered before any caller's reaction, so state is settled when callers resume.
      attempt.then(
        (next) => this.succeeded(next),
        (err: unknown) => this.failed(err),
      );
    }
    return this.inFlight;
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private delayFor(token: string): number | undefined {
    let exp: number;
    try {
      exp = jwtExpiry(token).getTime();
    } catch {
      return undefined;
    }
    return Math.max(0, exp - this.anticipation - this.timers.now());
  }

  /** One refresh call; a token whose expiry cannot be read counts as a failure. */
  private async fetch(): Promise<string> {
    const next = await this.options.gateway.tokenRefresh(this.current, this.options.psi);
    if (this.delayFor(next) === undefined)
      throw new Error('refresh token: the new token has no readable exp claim');
    return next;
  }

  private succeeded(next: string): void {
    this.inFlight = undefined;
    this.current = next;
    const delay = this.delayFor(next) ?? 0;
    if (!this.stopped) this.schedule(delay);
    this.logger.debug('qlight token refreshed', { nextInMs: delay });
    this.notify(() => this.options.onRefresh?.(next));
  }

  private failed(err: unknown): void {
    this.inFlight = undefined;
    const error = err instanceof Error ? err : new Error(String(err));
    const retryMs = this.options.retryMs ?? 5000;
    this.logger.error('qlight token refresh failed', { err: error.message, retryInMs: retryMs });
    if (!this.stopped) this.schedule(retryMs);
    this.notify(() => this.options.onError?.(error));
  }

  /** A throwing listener must not break the schedule (nor go unhandled). */
  private notify(listener: () => void): void {
    try {
      listener();
    } catch (err) {
      this.logger.error('qlight token listener failed', { err: messageOf(err) });
    }
  }

  private schedule(delay: number): void {
    this.cancelTimer();
    this.dueAt = this.timers.now() + delay;
    this.arm();
  }

  private arm(): void {
    const left = Math.max(0, (this.dueAt ?? 0) - this.timers.now());
    this.timer = this.timers.setTimeout(
      () => {
        this.timer = undefined;
        if (this.stopped) return;
        if ((this.dueAt ?? 0) > this.timers.now()) return this.arm();
        // Failures are reported through onError and retried; nothing to do here.
        this.refreshNow().catch(() => {});
      },
      Math.min(left, MAX_TIMER_MS),
    );
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.dueAt = undefined;
  }
}
