/**
 * grpc.health.v1.Health as grpc-go's health server behaves: "" and "plugin"
 * are SERVING; Check on an unknown name is NOT_FOUND; Watch streams the
 * current status (SERVICE_UNKNOWN for unknown names) and every change.
 */
import { Health, ServingStatus } from '../protocol/builtins.js';
import { HEALTH_SERVICE_NAME } from '../protocol/env.js';
import { RpcError, Status } from '../protocol/rpc-error.js';
import { service } from '../protocol/rpc-types.js';
import type { ServiceRegistration } from '../protocol/rpc-types.js';

export class HealthStatuses {
  private readonly statuses = new Map<string, ServingStatus>([
    ['', ServingStatus.SERVING],
    [HEALTH_SERVICE_NAME, ServingStatus.SERVING],
  ]);
  private readonly watchers = new Set<() => void>();

  get(name: string): ServingStatus | undefined {
    return this.statuses.get(name);
  }

  set(name: string, status: ServingStatus): void {
    this.statuses.set(name, status);
    for (const notify of this.watchers) notify();
  }

  /** Marks everything NOT_SERVING, as grpc-go does on shutdown. */
  shutdown(): void {
    for (const name of this.statuses.keys()) this.statuses.set(name, ServingStatus.NOT_SERVING);
    for (const notify of this.watchers) notify();
  }

  entries(): [string, ServingStatus][] {
    return [...this.statuses];
  }

  /** Calls `fn` on every change until the returned function is called. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }
}

export function healthService(statuses: HealthStatuses): ServiceRegistration {
  return service(Health, {
    check(req) {
      const status = statuses.get(req.service);
      if (status === undefined) throw new RpcError(Status.NOT_FOUND, 'unknown service');
      return { status };
    },
    list() {
      return { statuses: Object.fromEntries(statuses.entries().map(([name, status]) => [name, { status }])) };
    },
    async watch(req, send, ctx) {
      let last: ServingStatus | undefined;
      let wake: () => void = () => {};
      const unwatch = statuses.watch(() => wake());
      const onAbort = (): void => wake();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        while (!ctx.signal.aborted) {
          const current = statuses.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
          if (current !== last) {
            last = current;
            await send({ status: current });
          }
          if (ctx.signal.aborted) break;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        unwatch();
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },
  });
}
