/**
 * Per-call time limits of the JSON-RPC gateway, with one timer for all calls
 * and no AbortSignal unless a handler asks for one.
 *
 * Every call gets the same limit, so deadlines expire in the order the calls
 * started: in-flight calls sit in a FIFO list (O(1) to add and to unlink when
 * they finish) and a single timer is armed for the oldest. An AbortSignal per
 * call (`AbortSignal.timeout` + `AbortSignal.any` with the gateway's stop
 * signal) cost ~6 % of the gateway's CPU under load, for handlers that mostly
 * never read it.
 */

/** The clock and timer the deadlines use (injected by tests). */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => void setTimeout(fn, ms).unref(),
};

/** What AbortSignal.timeout aborts with, so handlers see the same reason as before. */
const timeoutReason = (): DOMException =>
  new DOMException('The operation was aborted due to timeout', 'TimeoutError');

/** Raised by {@link CallScope.settle} when the deadline passes first. */
export class CallTimeoutError extends Error {
  constructor() {
    super('request timed out');
  }
}

/** One call in flight: its deadline and, if the handler asked for it, its AbortSignal. */
export class CallScope {
  /** True once the deadline passed before the call finished. */
  timedOut = false;
  /** @internal list links */
  prev: CallScope | undefined;
  /** @internal */
  next: CallScope | undefined;
  /** @internal false once finished (or expired): no longer in the list. */
  linked = true;
  private controller: AbortController | undefined;
  private expire: ((err: Error) => void) | undefined;

  constructor(
    readonly deadline: number,
    private readonly stopping: AbortSignal,
  ) {}

  /**
   * Aborted when the call times out or the gateway stops. Made on first use:
   * a call whose handler never reads it allocates nothing for it.
   */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.timedOut) this.controller.abort(timeoutReason());
      else if (this.stopping.aborted) this.controller.abort(this.stopping.reason);
    }
    return this.controller.signal;
  }

  /**
   * Settles with `pending` (a promise or, from a plain JS handler, a value), or
   * rejects with a {@link CallTimeoutError} if the deadline comes first.
   */
  settle<T>(pending: T | PromiseLike<T>): Promise<T> {
    const settled = Promise.resolve(pending); // the same object when it is a native promise
    if (this.timedOut) {
      settled.catch(() => undefined);
      return Promise.reject(new CallTimeoutError());
    }
    return new Promise<T>((resolve, reject) => {
      this.expire = reject;
      settled.then(resolve, reject);
    });
  }

  /** @internal the deadline passed. */
  onDeadline(): void {
    this.timedOut = true;
    this.controller?.abort(timeoutReason());
    this.expire?.(new CallTimeoutError());
    this.expire = undefined;
  }

  /** @internal the gateway stops while the call runs. */
  onStop(reason: unknown): void {
    this.controller?.abort(reason);
  }
}

export class CallDeadlines {
  private head: CallScope | undefined;
  private tail: CallScope | undefined;
  private armed = false;
  private count = 0;

  constructor(
    private readonly limitMs: number,
    private readonly clock: Clock = realClock,
  ) {}

  /** Calls in flight. */
  get size(): number {
    return this.count;
  }

  /** Starts timing a call; pair with {@link finish}. */
  start(stopping: AbortSignal): CallScope {
    const scope = new CallScope(this.clock.now() + this.limitMs, stopping);
    scope.prev = this.tail;
    if (this.tail) this.tail.next = scope;
    else this.head = scope;
    this.tail = scope;
    this.count++;
    if (!this.armed) this.arm(this.limitMs);
    return scope;
  }

  /** The call is over (answered, failed or timed out): it leaves the list. */
  finish(scope: CallScope): void {
    if (!scope.linked) return;
    scope.linked = false;
    if (scope.prev) scope.prev.next = scope.next;
    else this.head = scope.next;
    if (scope.next) scope.next.prev = scope.prev;
    else this.tail = scope.prev;
    scope.prev = scope.next = undefined;
    this.count--;
  }

  /** Aborts the signals of every call in flight (those that made one). */
  abortAll(reason: unknown): void {
    for (let s = this.head; s; s = s.next) s.onStop(reason);
  }

  private arm(ms: number): void {
    this.armed = true;
    this.clock.setTimer(() => this.fire(), ms);
  }

  /**
   * Expires the calls whose deadline has passed (the oldest first), then
   * re-arms for the next one. Calls that finished in between were unlinked,
   * so the timer may find nothing due and simply waits for the new head.
   */
  private fire(): void {
    this.armed = false;
    const now = this.clock.now();
    while (this.head && this.head.deadline <= now) {
      const due = this.head;
      this.finish(due);
      due.onDeadline();
    }
    if (this.head) this.arm(Math.max(1, Math.ceil(this.head.deadline - now)));
  }
}
