/**
 * A one-consumer async queue of received messages, with back-pressure hooks:
 * `onFull` when the queue grows past its mark (pause the source), `onSpace`
 * when the consumer has taken it below (resume).
 */
export class MessageQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private failWaiter: ((err: unknown) => void) | undefined;
  private ended = false;
  private error: unknown;
  private paused = false;

  constructor(
    private readonly mark: number,
    private readonly onFull: () => void,
    private readonly onSpace: () => void,
    /** The consumer stopped early. */
    private readonly onReturn: () => void = () => {},
  ) {}

  push(item: T): void {
    if (this.ended) return;
    const w = this.waiter;
    if (w) {
      this.waiter = this.failWaiter = undefined;
      w({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (!this.paused && this.items.length >= this.mark) {
      this.paused = true;
      this.onFull();
    }
  }

  /** No more items; `error` makes the consumer's next read throw it (after the items). */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.items.length === 0) this.settleWaiter();
  }

  private settleWaiter(): void {
    const w = this.waiter;
    const f = this.failWaiter;
    this.waiter = this.failWaiter = undefined;
    if (this.error !== undefined) f?.(this.error);
    else w?.({ value: undefined, done: true });
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const value = this.items.shift()!;
      if (this.paused && this.items.length < this.mark / 2) {
        this.paused = false;
        this.onSpace();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      return this.error !== undefined
        ? Promise.reject(this.error)
        : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: () => {
        if (!this.ended) {
          this.ended = true;
          this.items.length = 0;
          this.onReturn();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
