/**
 * Without a registered tracer provider (this file's process never registers
 * one): calls carry no trace context of ours, metadata a caller set goes
 * through untouched, handlers get no span, the gateway works as before, and
 * @opentelemetry/api is never loaded.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { Metadata, service } from '@qplugin/go-plugin/protocol';
import {
  addServices,
  createClient,
  dialChannel,
  GrpcServer,
  tracingActive,
} from '@qplugin/go-plugin/internal';
import type { Channel } from '@qplugin/go-plugin/internal';

import { JsonRpcGateway, PluginGreeting } from '../src/index.js';

const server = new GrpcServer();
let channel: Channel;
const seen: { traceparent: unknown[]; span: unknown }[] = [];

before(async () => {
  addServices(server, [
    service(PluginGreeting, {
      greeting(req, ctx) {
        seen.push({ traceparent: ctx.metadata.get('traceparent'), span: ctx.span });
        return { msg: req.msg };
      },
    }),
  ]);
  server.listener.listen(0, '127.0.0.1');
  await once(server.listener, 'listening');
  channel = dialChannel(
    {
      network: 'tcp',
      address: `127.0.0.1:${(server.listener.address() as AddressInfo).port}`,
    },
    undefined,
  );
});
after(async () => {
  channel.close();
  await server.stop(0);
});

describe('tracing off', () => {
  it('adds nothing, keeps what the caller sent, loads nothing', async () => {
    const greeting = createClient(PluginGreeting, channel);
    await greeting.greeting({ msg: 'a' });
    const md = new Metadata();
    const theirs = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    md.set('traceparent', theirs);
    await greeting.greeting({ msg: 'b' }, { metadata: md });
    const gateway = new JsonRpcGateway({
      apis: [
        { namespace: 't', methods: { echo: async (p) => (await greeting.greeting({ msg: String(p) })).msg } },
      ],
      enabled: ['t'],
      port: 0,
    });
    const url = await gateway.start();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: theirs },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 't_echo', params: 'c' }),
      });
      assert.equal(res.status, 200);
    } finally {
      await gateway.stop();
    }
    assert.deepEqual(seen, [
      { traceparent: [], span: undefined },
      { traceparent: [theirs], span: undefined },
      // The gateway does not forward a header it does not trace.
      { traceparent: [], span: undefined },
    ]);
    assert.equal(tracingActive(), false);
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) =>
      k.includes('@opentelemetry'),
    );
    assert.deepEqual(loaded, [], '@opentelemetry/api was not loaded');
  });
});
