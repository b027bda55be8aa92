/**
 * The plugin side of plugin.GRPCBroker and plugin.GRPCController.
 */
import type { GRPCBroker } from '../protocol/broker.js';
import { GRPCBrokerService, GRPCController } from '../protocol/builtins.js';
import type { ConnInfo } from '../protocol/builtins.js';
import { service } from '../protocol/rpc-types.js';
import type { ServiceRegistration } from '../protocol/rpc-types.js';

/** Iterates `source` until it ends or `signal` aborts (a stopping server ends the call before the peer ends its stream). */
async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const aborted = new Promise<IteratorResult<T>>((resolve) => {
    const stop = (): void => resolve({ done: true, value: undefined });
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([it.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    void it.return?.();
  }
}

export function brokerService(broker: GRPCBroker): ServiceRegistration {
  return service(GRPCBrokerService, {
    async startStream(requests, send, ctx) {
      broker.attach(send);
      for await (const info of untilAborted<ConnInfo>(requests, ctx.signal)) broker.receive(info);
    },
  });
}

/** Shutdown answers first, then stops the plugin (go-plugin's Go side drops the call instead). */
export function controllerService(stop: () => void): ServiceRegistration {
  return service(GRPCController, {
    shutdown() {
      setImmediate(stop);
      return {};
    },
  });
}
