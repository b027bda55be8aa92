/** The protobuf-es ↔ grpc-js bridge in one process: typed calls, statuses, cancellation, no leaks. */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Client as GrpcClient, credentials, Server, ServerCredentials } from '@grpc/grpc-js';

import { Health, ServingStatus } from '../src/protocol/builtins.js';
import { createClient } from '../src/protocol/rpc-client.js';
import { RpcError, Status } from '../src/protocol/rpc-error.js';
import { addServices } from '../src/protocol/rpc-server.js';
import { service } from '../src/protocol/rpc-types.js';

const stop = new AbortController();
const server = new Server();
let conn: GrpcClient;
let watchSignal: AbortSignal | undefined;

before(async () => {
  addServices(
    server,
    [
      service(Health, {
        check(req, ctx) {
          void ctx.signal; // reading the signal subscribes to the server's stop signal
          if (req.service === 'boom') throw new RpcError(Status.FAILED_PRECONDITION, 'not ready');
          if (req.service === 'crash') throw new Error('plain error');
          return { status: ServingStatus.SERVING };
        },
        list: () => ({ statuses: {} }),
        async watch(_req, send, ctx) {
          watchSignal = ctx.signal;
          await send({ status: ServingStatus.SERVING });
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        },
      }),
    ],
    stop.signal,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  conn = new GrpcClient(`127.0.0.1:${port}`, credentials.createInsecure());
});
after(() => {
  conn.close();
  server.forceShutdown();
});

describe('rpc bridge', () => {
  it('answers typed calls and keeps no per-call listener on the server signal', async () => {
    const health = createClient(Health, conn);
    for (let i = 0; i < 200; i++)
      assert.equal((await health.check({ service: '' })).status, ServingStatus.SERVING);
    assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  });

  it('maps thrown RpcErrors to their status and other errors to Unknown, as grpc-go does', async () => {
    const health = createClient(Health, conn);
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
    const stream = createClient(Health, conn).watch({ service: '' }, { signal: ac.signal });
    const it = stream[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.status, ServingStatus.SERVING);
    ac.abort();
    await assert.rejects(it.next(), (e: unknown) => e instanceof RpcError && e.code === Status.CANCELLED);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(watchSignal?.aborted, true, 'the handler saw the cancellation');
    assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  });
});
