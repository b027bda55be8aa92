/**
 * Spans in one process, with OpenTelemetry's SDK registered: the JSON-RPC
 * gateway continues a valid incoming traceparent and starts afresh on a
 * hostile one; gRPC calls over our client and server are parent and child,
 * failures carry their status code, the handler sees its span, and
 * go-plugin's plumbing makes none.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';

import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Metadata, RpcError, service, Status } from '@qplugin/go-plugin/protocol';
import {
  addServices,
  createClient,
  dialChannel,
  GrpcServer,
  Health,
  ServingStatus,
  tracingActive,
} from '@qplugin/go-plugin/internal';
import type { TraceSpan } from '@qplugin/go-plugin/protocol';
import type { Channel } from '@qplugin/go-plugin/internal';

import { JsonRpcGateway, PluginGreeting } from '../src/index.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

before(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
after(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const named = (name: string): ReadableSpan[] => spans().filter((s) => s.name === name);

describe('JSON-RPC gateway spans', () => {
  let gateway: JsonRpcGateway;
  let url: string;
  before(async () => {
    gateway = new JsonRpcGateway({
      apis: [
        {
          namespace: 't',
          methods: {
            ok: async () => trace.getActiveSpan()?.spanContext().spanId ?? null,
            fail: async () => {
              throw new Error('handler failed');
            },
          },
        },
      ],
      enabled: ['t'],
      port: 0,
    });
    url = await gateway.start();
  });
  after(() => gateway.stop());

  const post = async (body: unknown, headers: Record<string, string> = {}) =>
    (await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }).then((r) => r.json())) as { result?: unknown; error?: { code: number } } | unknown[];

  it('continues a valid traceparent (and tracestate); the handler runs inside the span', async () => {
    const reply = await post(
      { jsonrpc: '2.0', id: 1, method: 't_ok', params: [] },
      { traceparent: `00-${T}-${S}-01`, tracestate: 'a=1' },
    );
    const [span] = named('t_ok');
    assert.ok(span);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.spanContext().traceId, T);
    assert.equal(span.parentSpanContext?.spanId, S);
    assert.equal(span.parentSpanContext?.isRemote, true);
    assert.equal(span.spanContext().traceState?.serialize(), 'a=1');
    assert.deepEqual(reply, { jsonrpc: '2.0', id: 1, result: span.spanContext().spanId });
    assert.deepEqual(
      [span.attributes['rpc.system'], span.attributes['rpc.service'], span.attributes['rpc.method']],
      ['jsonrpc', 't', 'ok'],
    );
  });

  for (const [why, headers] of [
    ['no header', {}],
    ['a malformed traceparent', { traceparent: 'garbage' }],
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${S}-01` }],
    ['markup in the header', { traceparent: `00-${T}-${S}-01"><script>`, tracestate: '<x>' }],
    ['a tracestate without a traceparent', { tracestate: 'a=1' }],
  ] as const) {
    it(`starts a new trace on ${why}`, async () => {
      await post({ jsonrpc: '2.0', id: 1, method: 't_ok', params: [] }, headers);
      const [span] = named('t_ok');
      assert.ok(span);
      assert.equal(span.parentSpanContext, undefined);
      assert.notEqual(span.spanContext().traceId, T);
      assert.equal(span.spanContext().traceState, undefined);
    });
  }

  it('marks failed calls with their JSON-RPC code; batches make a span per call; unknown methods none', async () => {
    await post(
      [
        { jsonrpc: '2.0', id: 1, method: 't_fail', params: [] },
        { jsonrpc: '2.0', id: 2, method: 't_ok', params: [] },
        { jsonrpc: '2.0', id: 3, method: 'nope_x', params: [] },
      ],
      { traceparent: `00-${T}-${S}-01` },
    );
    const [failed] = named('t_fail');
    assert.equal(failed?.status.code, SpanStatusCode.ERROR);
    assert.equal(failed?.status.message, 'handler failed');
    assert.equal(failed?.attributes['rpc.jsonrpc.error_code'], -32000);
    assert.equal(named('t_ok')[0]?.spanContext().traceId, T);
    assert.equal(spans().length, 2);
  });
});

describe('gRPC client and server spans', () => {
  const server = new GrpcServer();
  let channel: Channel;
  let seen: { span: TraceSpan | undefined; traceparent: unknown[]; custom: unknown[] } | undefined;
  before(async () => {
    addServices(server, [
      service(PluginGreeting, {
        greeting(req, ctx) {
          seen = {
            span: ctx.span,
            traceparent: ctx.metadata.get('traceparent'),
            custom: ctx.metadata.get('x-custom'),
          };
          if (req.msg === 'fail') throw new RpcError(Status.PERMISSION_DENIED, 'no');
          return { msg: `hi ${req.msg}` };
        },
      }),
      service(Health, {
        check: () => ({ status: ServingStatus.SERVING }),
        list: () => ({ statuses: {} }),
        watch: async () => {},
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

  it('the client span is the parent of the server span; the handler gets it as ctx.span', async () => {
    assert.equal(tracingActive(), true);
    const md = new Metadata();
    md.set('x-custom', 'kept');
    const parent = trace.getTracer('test').startSpan('caller');
    const reply = await context.with(trace.setSpan(context.active(), parent), () =>
      createClient(PluginGreeting, channel).greeting({ msg: 'q' }, { metadata: md }),
    );
    parent.end();
    assert.equal(reply.msg, 'hi q');
    const client = spans().find((s) => s.kind === SpanKind.CLIENT)!;
    const handled = spans().find((s) => s.kind === SpanKind.SERVER)!;
    assert.equal(client.name, 'proto.PluginGreeting/Greeting');
    assert.equal(client.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(handled.parentSpanContext?.spanId, client.spanContext().spanId);
    assert.equal(handled.spanContext().traceId, parent.spanContext().traceId);
    assert.equal(seen?.span?.spanContext().spanId, handled.spanContext().spanId);
    assert.deepEqual(seen?.traceparent, [
      `00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`,
    ]);
    assert.deepEqual(seen?.custom, ['kept'], 'the caller’s metadata is kept');
    assert.deepEqual(md.get('traceparent'), [], 'and not changed');
    assert.equal(handled.attributes['rpc.grpc.status_code'], 0);
  });

  it('failures set the status code and an error status on both sides', async () => {
    await assert.rejects(createClient(PluginGreeting, channel).greeting({ msg: 'fail' }), RpcError);
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const s = spans().find((x) => x.kind === kind)!;
      assert.equal(s.attributes['rpc.grpc.status_code'], Status.PERMISSION_DENIED);
      assert.equal(s.status.code, SpanStatusCode.ERROR);
      assert.equal(s.status.message, 'no');
    }
  });

  it('a deadline that passes ends both spans as failures', async () => {
    await assert.rejects(
      createClient(PluginGreeting, channel).greeting({ msg: 'x' }, { deadline: new Date(Date.now() - 1) }),
      (e: unknown) => e instanceof RpcError && e.code === Status.DEADLINE_EXCEEDED,
    );
    const client = spans().find((x) => x.kind === SpanKind.CLIENT)!;
    assert.equal(client.attributes['rpc.grpc.status_code'], Status.DEADLINE_EXCEEDED);
  });

  it('health checks (go-plugin plumbing) make no spans and send no traceparent', async () => {
    await createClient(Health, channel).check({ service: '' });
    assert.deepEqual(spans(), []);
  });
});
