/**
 * Typed unary calls, which on the h2 transport take their own path
 * (src/protocol/rpc-unary-h2.ts) rather than ClientCall: every way a call
 * ends, asserted the same on both transports, and nothing left behind (timers,
 * abort listeners, the server's live calls) once calls end.
 */
import assert from 'node:assert/strict';
import { getEventListeners, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { Health, ServingStatus } from '../../src/protocol/builtins.js';
import { dialChannel } from '../../src/protocol/dial.js';
import type { DialTarget } from '../../src/protocol/dial.js';
import type { Channel, Transport } from '../../src/protocol/grpc/channel.js';
import { Metadata } from '../../src/protocol/grpc/metadata.js';
import { GrpcServer } from '../../src/protocol/grpc/server.js';
import { createClient } from '../../src/protocol/rpc-client.js';
import { Status } from '../../src/protocol/rpc-error.js';
import { addServices } from '../../src/protocol/rpc-server.js';
import { service } from '../../src/protocol/rpc-types.js';
import { rejection } from '../support/rejection.js';

const server = new GrpcServer();
let target: DialTarget;
/** Each held call's end as its handler saw it (signal aborted; deadline known or not), by the caller's x-id. */
const ended = new Map<string, Promise<string>>();

before(async () => {
  addServices(server, [
    service(Health, {
      async check(req, ctx) {
        if (req.service === 'hold') {
          const id = String(ctx.metadata.get('x-id')[0]);
          let seen!: (why: string) => void;
          ended.set(id, new Promise((resolve) => (seen = resolve)));
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
          seen(ctx.deadline === undefined ? 'aborted' : 'aborted, knowing the deadline');
          return { status: ServingStatus.NOT_SERVING };
        }
        if (req.service === 'echo-metadata')
          return {
            status: ctx.metadata.get('x-n')[0] === '7' ? ServingStatus.SERVING : ServingStatus.UNKNOWN,
          };
        if (req.service === 'deadline')
          return { status: ctx.deadline === undefined ? ServingStatus.UNKNOWN : ServingStatus.SERVING };
        return { status: ServingStatus.SERVING };
      },
      list: () => ({ statuses: {} }),
      watch: async () => {},
    }),
  ]);
  server.listener.listen(0, '127.0.0.1');
  await once(server.listener, 'listening');
  const { port } = server.listener.address() as AddressInfo;
  target = { network: 'tcp', address: `127.0.0.1:${port}` };
});
after(() => server.stop(0));

function withId(id: string): Metadata {
  const md = new Metadata();
  md.set('x-id', id);
  return md;
}

for (const transport of ['node-http2', 'h2'] as Transport[]) {
  describe(`typed unary calls (${transport})`, () => {
    let channel: Channel;
    let health: ReturnType<typeof createClient<typeof Health>>;
    before(() => {
      channel = dialChannel(target, undefined, { transport });
      health = createClient(Health, channel);
    });
    after(() => channel.close());

    it('answers, with the deadline and the metadata reaching the server', async () => {
      assert.equal((await health.check({ service: 'x' })).status, ServingStatus.SERVING);
      const md = new Metadata();
      md.set('x-n', '7');
      assert.equal(
        (await health.check({ service: 'echo-metadata' }, { metadata: md })).status,
        ServingStatus.SERVING,
      );
      assert.equal(
        (await health.check({ service: 'deadline' }, { deadline: 5000 })).status,
        ServingStatus.SERVING,
      );
      const at = new Date(Date.now() + 5000);
      assert.equal(
        (await health.check({ service: 'deadline' }, { deadline: at })).status,
        ServingStatus.SERVING,
      );
    });

    it('ends at its deadline with DEADLINE_EXCEEDED, and the server sees it pass', async () => {
      const id = `${transport}-deadline`;
      const err = await rejection(health.check({ service: 'hold' }, { deadline: 100, metadata: withId(id) }));
      assert.equal(err.code, Status.DEADLINE_EXCEEDED);
      assert.match(err.message, /context deadline exceeded/);
      assert.equal(await ended.get(id), 'aborted, knowing the deadline');
    });

    it('cancels on abort with CANCELLED and the reason; the server sees the cancel; the listener goes', async () => {
      const id = `${transport}-abort`;
      const ac = new AbortController();
      const call = health.check({ service: 'hold' }, { signal: ac.signal, metadata: withId(id) });
      while (!ended.has(id)) await new Promise((r) => setImmediate(r));
      assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
      ac.abort(new Error('the user left'));
      const err = await rejection(call);
      assert.equal(err.code, Status.CANCELLED);
      assert.match(err.message, /call cancelled: the user left/);
      assert.equal(await ended.get(id), 'aborted');
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
      assert.equal(server.calls.size, 0, 'the server still lists calls as live');
    });

    it('fails at once for an aborted signal, a past deadline or an oversized request, before connecting', async () => {
      const own = dialChannel(target, undefined, { transport, maxSendMessageBytes: 64 });
      const client = createClient(Health, own);
      const err1 = await rejection(client.check({ service: 'x' }, { signal: AbortSignal.abort('stop') }));
      assert.equal(err1.code, Status.CANCELLED);
      assert.match(err1.message, /call cancelled: stop/);
      const err2 = await rejection(client.check({ service: 'x' }, { deadline: new Date(Date.now() - 1) }));
      assert.equal(err2.code, Status.DEADLINE_EXCEEDED);
      const err3 = await rejection(client.check({ service: 'x'.repeat(100) }));
      assert.equal(err3.code, Status.RESOURCE_EXHAUSTED);
      assert.match(err3.message, /trying to send message larger than max \(102 vs\. 64\)/);
      if (transport === 'h2') assert.equal(own.h2Connections, 0);
      own.close();
    });

    it('fails invalid request metadata with INTERNAL and keeps the connection', async () => {
      const md = new Metadata();
      md.set('connection', 'close');
      const err = await rejection(health.check({ service: 'x' }, { metadata: md }));
      assert.equal(err.code, Status.INTERNAL);
      assert.match(err.message, /invalid request metadata/);
      assert.equal((await health.check({ service: 'x' })).status, ServingStatus.SERVING);
    });

    it('completes 1,000 concurrent calls, a third of them with deadlines and signals, leaving no listeners', async () => {
      const ac = new AbortController();
      const calls = Array.from({ length: 1000 }, (_, i) =>
        health.check({ service: `s${i}` }, i % 3 === 0 ? { deadline: 10_000, signal: ac.signal } : undefined),
      );
      const results = await Promise.all(calls);
      assert.ok(results.every((r) => r.status === ServingStatus.SERVING));
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    });

    it('fails with UNAVAILABLE once the channel is closed', async () => {
      const own = dialChannel(target, undefined, { transport });
      const client = createClient(Health, own);
      assert.equal((await client.check({ service: 'x' })).status, ServingStatus.SERVING);
      own.close();
      const err = await rejection(client.check({ service: 'x' }));
      assert.equal(err.code, Status.UNAVAILABLE);
    });
  });
}
