/** The protobuf-es ↔ gRPC bridge in one process: typed calls, statuses, cancellation, no leaks. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';

import { Health, ServingStatus } from '../src/protocol/builtins.js';
import { dialChannel } from '../src/protocol/dial.js';
import type { DialTarget } from '../src/protocol/dial.js';
import type { Channel, Transport } from '../src/protocol/grpc/channel.js';
import { GrpcServer } from '../src/protocol/grpc/server.js';
import { createClient } from '../src/protocol/rpc-client.js';
import { RpcError, Status } from '../src/protocol/rpc-error.js';
import { addServices } from '../src/protocol/rpc-server.js';
import { service } from '../src/protocol/rpc-types.js';

const server = new GrpcServer();
let channel: Channel;
let target: DialTarget;
let watchSignal: AbortSignal | undefined;
let watchCancelled: Promise<void>;
let cancelled: () => void = () => {};

before(async () => {
  addServices(server, [
    service(Health, {
      check(req) {
        if (req.service === 'boom') throw new RpcError(Status.FAILED_PRECONDITION, 'not ready');
        if (req.service === 'crash') throw new Error('plain error');
        if (req.service === 'busy') throw new RpcError(Status.UNAVAILABLE, 'busy, try later');
        return { status: ServingStatus.SERVING };
      },
      list: () => ({ statuses: {} }),
      async watch(_req, send, ctx) {
        watchSignal = ctx.signal;
        // This run's resolver: a watch left from the previous transport's run may end late.
        const done = cancelled;
        await send({ status: ServingStatus.SERVING });
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        done();
      },
    }),
  ]);
  server.listener.listen(0, '127.0.0.1');
  await once(server.listener, 'listening');
  const { port } = server.listener.address() as AddressInfo;
  target = { network: 'tcp', address: `127.0.0.1:${port}` };
});
after(async () => {
  await server.stop(0);
});

for (const transport of ['node-http2', 'h2'] as Transport[]) {
  describe(`rpc bridge (${transport})`, () => {
    before(() => {
      watchSignal = undefined;
      watchCancelled = new Promise((resolve) => (cancelled = resolve));
      channel = dialChannel(target, undefined, { transport });
    });
    after(() => channel.close());

    it('answers typed calls', async () => {
      const health = createClient(Health, channel);
      for (let i = 0; i < 200; i++)
        assert.equal((await health.check({ service: '' })).status, ServingStatus.SERVING);
    });

    it('maps thrown RpcErrors to their status and other errors to Unknown, as grpc-go does', async () => {
      const health = createClient(Health, channel);
      await assert.rejects(
        health.check({ service: 'boom' }),
        (e: unknown) =>
          e instanceof RpcError &&
          e.code === Status.FAILED_PRECONDITION &&
          e.message === 'rpc error: code = FailedPrecondition desc = not ready',
      );
      await assert.rejects(
        health.check({ service: 'crash' }),
        (e: unknown) => e instanceof RpcError && e.code === Status.UNKNOWN && e.details === 'plain error',
      );
    });

    it('aborts a streaming handler when the client cancels, and rejects with Canceled', async () => {
      const ac = new AbortController();
      const stream = createClient(Health, channel).watch({ service: '' }, { signal: ac.signal });
      const it = stream[Symbol.asyncIterator]();
      assert.equal((await it.next()).value?.status, ServingStatus.SERVING);
      ac.abort();
      await assert.rejects(it.next(), (e: unknown) => e instanceof RpcError && e.code === Status.CANCELLED);
      await watchCancelled;
      assert.equal(watchSignal?.aborted, true, 'the handler saw the cancellation');
    });

    it('answers an Unavailable the server sent at once, without waiting to see if the plugin is gone', async (t) => {
      // With timers mocked and never advanced, any wait for the guard would hang this test.
      t.mock.timers.enable({ apis: ['setTimeout'] });
      const lifetime = new AbortController();
      const guard = {
        signal: lifetime.signal,
        error: () => new RpcError(Status.UNAVAILABLE, 'plugin is not running'),
      };
      await assert.rejects(
        createClient(Health, channel, guard).check({ service: 'busy' }),
        (e: unknown) => e instanceof RpcError && e.details === 'busy, try later',
      );
    });

    it('reports a lost connection in the guard’s words once its lifetime ends', async (t) => {
      const own = dialChannel(target, undefined, { transport });
      const lifetime = new AbortController();
      // The connection goes first; the "process" ends while the call waits for it: the
      // moment the client starts listening for the end of the lifetime.
      const signal = lifetime.signal;
      const listen = signal.addEventListener.bind(signal);
      signal.addEventListener = ((...args: Parameters<typeof listen>) => {
        listen(...args);
        if (args[0] === 'abort') lifetime.abort();
      }) as typeof signal.addEventListener;
      const guard = {
        signal,
        error: () => new RpcError(Status.UNAVAILABLE, 'plugin is not running (test)'),
      };
      await own.ready();
      const health = createClient(Health, own, guard);
      const watch = health.watch({ service: '' })[Symbol.asyncIterator]();
      await watch.next();
      // With timers mocked and never advanced, only the lifetime's end can settle the call.
      t.mock.timers.enable({ apis: ['setTimeout'] });
      own.close();
      await assert.rejects(
        watch.next(),
        (e: unknown) => e instanceof RpcError && e.details === 'plugin is not running (test)',
      );
    });
  });
}
