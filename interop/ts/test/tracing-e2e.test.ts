/**
 * Issue 16's trace proofs, with OpenTelemetry's SDK and its in-memory
 * exporter in real processes:
 * - one trace from an incoming JSON-RPC request (its `traceparent` header)
 *   through the host's gRPC call, the TS plugin's handler (its own process,
 *   its own SDK) and the plugin's callback to the host through the broker;
 * - a Go plugin (grpc-go under go-plugin v1.8.0) receives the `traceparent`
 *   and `tracestate` metadata of the host's call.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { context, createTraceState, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { PluginClient } from '@qplugin/go-plugin/host';
import { service } from '@qplugin/go-plugin/protocol';
import { expectNoProcesses } from '@qplugin/go-plugin/testing';
import { JsonRpcGateway, PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum';

import { Callback, Interop } from '../src/generated/interop_pb.js';
import { GO_DIR, interopSkip } from '../src/support/go.js';
import { REPO_ROOT } from '../src/support/go.js';
import { formatSpanTree, registerInMemoryTracing } from '../src/support/tracing.js';
import type { InMemoryTracing, SpanRecord } from '../src/support/tracing.js';

const TRACED_PLUGIN = join(REPO_ROOT, 'interop', 'ts', 'dist', 'src', 'fixtures', 'traced-plugin.js');
const scratch = mkdtempSync(join(tmpdir(), 'qp-trace-'));
const TOKEN = `--qp-test=${randomUUID()}`;
let tracing: InMemoryTracing;

before(() => {
  tracing = registerInMemoryTracing();
});
after(async () => {
  await tracing.shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

function byName(spans: readonly SpanRecord[], name: string, kind: SpanKind): SpanRecord {
  const found = spans.filter((s) => s.name === name && s.kind === kind);
  assert.equal(
    found.length,
    1,
    `one ${SpanKind[kind]} span ${name} in ${JSON.stringify(spans.map((s) => s.name))}`,
  );
  return found[0]!;
}

describe('trace context across the plugin boundary', () => {
  it('one trace: JSON-RPC request → host call → TS plugin handler → broker callback to the host', async (t) => {
    const spansFile = join(scratch, 'plugin-spans.json');
    const client = new PluginClient({
      command: process.execPath,
      args: [TRACED_PLUGIN, TOKEN],
      handshake: QUORUM_HANDSHAKE,
      env: { QPLUGIN_TEST_SPANS_FILE: spansFile },
      unixSocket: { dir: scratch },
    });
    await client.start();
    const brokerId = client.broker.nextId();
    await client.broker.acceptAndServe(brokerId, [
      service(Callback, { echo: (req) => ({ text: `host echo: ${req.text}` }) }),
    ]);
    const interop = client.client(Interop);
    const gateway = new JsonRpcGateway({
      apis: [
        {
          namespace: 'test',
          methods: {
            callBack: async (params) =>
              (await interop.callBack({ brokerId, text: (params as string[])[0]! }, { deadline: 10_000 }))
                .text,
          },
        },
      ],
      enabled: ['test'],
      port: 0,
    });
    const url = await gateway.start();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
          tracestate: 'vendor=abc,other=1',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_callBack', params: ['hi'] }),
      });
      assert.deepEqual(await res.json(), { jsonrpc: '2.0', id: 1, result: 'host echo: hi' });
    } finally {
      await gateway.stop();
      await client.kill();
    }
    await expectNoProcesses(TOKEN);
    assert.ok(existsSync(spansFile), 'the plugin wrote its spans when it exited');
    const pluginSpans = (JSON.parse(readFileSync(spansFile, 'utf8')) as SpanRecord[]).map((s) => ({
      ...s,
      process: 'plugin',
    }));
    const hostSpans = tracing.records().map((s) => ({ ...s, process: 'host' }));

    const rpc = byName(hostSpans, 'test_callBack', SpanKind.SERVER);
    const hostCall = byName(hostSpans, 'qplugin.interop.Interop/CallBack', SpanKind.CLIENT);
    const handler = byName(pluginSpans, 'qplugin.interop.Interop/CallBack', SpanKind.SERVER);
    const pluginCall = byName(pluginSpans, 'qplugin.interop.Callback/Echo', SpanKind.CLIENT);
    const callback = byName(hostSpans, 'qplugin.interop.Callback/Echo', SpanKind.SERVER);
    const chain = [rpc, hostCall, handler, pluginCall, callback];
    for (const s of chain) {
      assert.equal(s.traceId, TRACE_ID, `${s.name} (${s.process}) continues the caller's trace`);
      assert.equal(s.traceState, 'vendor=abc,other=1', `${s.name} (${s.process}) carries the tracestate`);
      assert.equal(s.status, 0, `${s.name} did not fail`);
    }
    assert.equal(rpc.parentSpanId, CALLER_SPAN, 'the JSON-RPC span continues the traceparent header');
    for (let i = 1; i < chain.length; i++)
      assert.equal(
        chain[i]!.parentSpanId,
        chain[i - 1]!.spanId,
        `${chain[i]!.name} is a child of ${chain[i - 1]!.name}`,
      );
    assert.equal(handler.attributes['test.handler'], 'callBack', 'the handler set an attribute on ctx.span');
    assert.deepEqual(
      [
        hostCall.attributes['rpc.system'],
        hostCall.attributes['rpc.service'],
        hostCall.attributes['rpc.method'],
      ],
      ['grpc', 'qplugin.interop.Interop', 'CallBack'],
    );
    assert.equal(hostCall.attributes['rpc.grpc.status_code'], 0);
    assert.equal(rpc.attributes['rpc.system'], 'jsonrpc');
    // go-plugin's own plumbing (health checks, stdio, broker stream, Shutdown) makes no spans.
    const all = [...hostSpans, ...pluginSpans];
    assert.deepEqual(
      all.filter((s) => /^(plugin\.|grpc\.health)/.test(s.name)).map((s) => s.name),
      [],
    );
    t.diagnostic(`span tree:\n${formatSpanTree(all, CALLER_SPAN)}`);
    tracing.exporter.reset();
  });

  const skip = interopSkip();
  it(
    'a Go plugin (grpc-go, go-plugin v1.8.0) receives traceparent and tracestate metadata',
    { skip },
    async () => {
      const binary = join(scratch, 'trace-echo');
      execFileSync('go', ['build', '-trimpath', '-buildvcs=false', '-o', binary, '.'], {
        cwd: join(GO_DIR, 'trace-echo'),
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const client = new PluginClient({
        command: binary,
        args: [TOKEN],
        handshake: QUORUM_HANDSHAKE,
        unixSocket: { dir: scratch },
      });
      await client.start();
      try {
        await client.client(PluginInitializer).init({});
        // The host's call runs inside a remote caller's span that carries a tracestate.
        const caller = trace.setSpanContext(ROOT_CONTEXT, {
          traceId: TRACE_ID,
          spanId: CALLER_SPAN,
          traceFlags: 1,
          isRemote: true,
          traceState: createTraceState('vendor=abc'),
        });
        const reply = await context.with(caller, () =>
          client.client(PluginGreeting).greeting({ msg: 'Quorum' }, { deadline: 10_000 }),
        );
        const seen = JSON.parse(reply.msg) as { msg: string; traceparent: string[]; tracestate: string[] };
        const call = byName(tracing.records(), 'proto.PluginGreeting/Greeting', SpanKind.CLIENT);
        assert.equal(call.parentSpanId, CALLER_SPAN);
        assert.deepEqual(seen, {
          msg: 'Quorum',
          traceparent: [`00-${TRACE_ID}-${call.spanId}-01`],
          tracestate: ['vendor=abc'],
        });
        // A call outside any span starts a trace of its own, still propagated.
        const alone = JSON.parse((await client.client(PluginGreeting).greeting({ msg: 'x' })).msg) as {
          traceparent: string[];
        };
        const own = tracing
          .records()
          .filter((s) => s.name === 'proto.PluginGreeting/Greeting' && s.traceId !== TRACE_ID);
        assert.equal(own.length, 1);
        assert.equal(own[0]!.parentSpanId, undefined);
        assert.deepEqual(alone.traceparent, [`00-${own[0]!.traceId}-${own[0]!.spanId}-01`]);
      } finally {
        await client.kill();
      }
      await expectNoProcesses(TOKEN);
    },
  );
});
