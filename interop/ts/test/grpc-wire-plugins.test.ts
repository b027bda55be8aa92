/**
 * Our gRPC client (PluginClient.client() over protocol/grpc) against real
 * gRPC servers: Go plugins built with go-plugin v1.0.1 (grpc-go v1.27.1),
 * v1.2.2 (grpc-go v1.56.3) and v1.8.0 (grpc-go v1.61.0, also with the
 * connection multiplexed over yamux), and our own TS plugin (serve()), all
 * serving qplugin.interop.Probe. Every status code with its message, details
 * and trailer, trailers-only and after replies; request metadata as the
 * handler sees it; deadlines and cancellation as the handler sees them; size
 * limits both ways; 1,000 concurrent calls; the four call kinds; a plugin
 * killed mid-call. The other direction (Go hosts → our server) is in
 * grpc-wire-go-hosts.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { create, toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { PluginClient } from '@qplugin/go-plugin/host';
import { Metadata, RpcError, Status } from '@qplugin/go-plugin/protocol';
import type { Client } from '@qplugin/go-plugin/protocol';
import { expectNoProcesses } from '@qplugin/go-plugin/testing';
import { QUORUM_HANDSHAKE } from '@qplugin/quorum';

import { Probe, ProbeReplySchema, ProbeRequestSchema } from '../src/generated/interop_pb.js';
import type { ObserveReply, ProbeReply } from '../src/generated/interop_pb.js';
import { GO_PLUGIN_VERSIONS, goPeer, interopSkip } from '../src/support/go.js';
import { INTEROP_PLUGIN, nodePlugin } from '../src/support/paths.js';
import { ERROR_CODES, FOUR_MIB, payloadFor, readDetails, statusMessage } from '../src/support/probe.js';

const goSkip = interopSkip();
const scratch = mkdtempSync(join(tmpdir(), 'qp-wire-plugins-'));
/** Extra argv marking this file's plugin processes (test files run in parallel). */
const TOKEN = `--qp-test=${randomUUID()}`;
after(() => rmSync(scratch, { recursive: true, force: true }));

type ProbeInit = MessageInitShape<typeof ProbeRequestSchema>;

interface Target {
  name: string;
  argv: () => string[];
  multiplex: boolean;
  skip: string | false;
}

const TARGETS: Target[] = [
  ...GO_PLUGIN_VERSIONS.map((v) => ({
    name: `Go plugin ${v}`,
    argv: () => [goPeer(v).plugin],
    multiplex: false,
    skip: goSkip,
  })),
  {
    name: 'Go plugin v1.8.0, multiplexed (yamux)',
    argv: () => [goPeer('v1.8.0').plugin],
    multiplex: true,
    skip: goSkip,
  },
  { name: 'TS plugin', argv: () => nodePlugin(INTEROP_PLUGIN), multiplex: false, skip: false },
  {
    name: 'TS plugin, multiplexed (yamux)',
    argv: () => nodePlugin(INTEROP_PLUGIN),
    multiplex: true,
    skip: false,
  },
];

interface Started {
  c: PluginClient;
  dir: string;
}

async function start(target: Target, maxReceiveMessageBytes?: number): Promise<Started> {
  const argv = target.argv();
  const dir = mkdtempSync(join(scratch, 'run-'));
  const c = new PluginClient({
    command: argv[0]!,
    args: [...argv.slice(1), TOKEN],
    handshake: QUORUM_HANDSHAKE,
    env: { TMPDIR: dir },
    unixSocket: { dir },
    multiplex: target.multiplex,
    maxReceiveMessageBytes,
  });
  await c.start();
  return { c, dir };
}

/** Awaits `p`, which must reject with an RpcError of `code` and exactly `message`. */
async function rejection(p: Promise<unknown>, code: Status, message: string): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcError, `not an RpcError: ${String(err)}`);
    assert.deepEqual([Status[err.code], err.details], [Status[code], message]);
    return err;
  }
  assert.fail(`resolved; expected ${Status[code]} ${message}`);
}

/**
 * How a handler's context ends when the call's deadline passes. The client
 * resets the stream at its deadline (grpc-go clients do too), and that
 * RST_STREAM can reach the server a moment before the server's own timer
 * fires: the handler then sees a cancel. Which comes first is a race the
 * protocol allows; either way the handler's context ended.
 */
function assertDeadlineEnd(ended: string): void {
  assert.ok(ended === 'deadline' || ended === 'canceled', `the handler ended by "${ended}"`);
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

/** Every message of a response stream, and the error that ended it (if any). */
async function drain<T>(
  stream: AsyncIterable<T>,
  onItem?: () => void,
): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of stream) {
      items.push(item);
      onItem?.();
    }
  } catch (error) {
    return { items, error };
  }
  return { items, error: undefined };
}

function suite(target: Target): void {
  describe(`our client → ${target.name}`, { skip: target.skip }, () => {
    let run: Started;
    let probe: Client<typeof Probe>;
    const observe = (tag: string, until: 'started' | 'ended'): Promise<ObserveReply> =>
      probe.observe({ tag, until }, { deadline: 10_000 });

    before(async () => {
      run = await start(target);
      probe = run.c.client(Probe);
    });
    after(async () => {
      if (!run?.c.hasExited) await run?.c.kill();
    });

    it('status codes 1..16 with message, details and trailer: trailers-only and after replies', async () => {
      const checkCode = async (code: number): Promise<void> => {
        const req = {
          code,
          message: statusMessage(code),
          detail: `detail ${code} ✓`,
          trailer: [`t${code}`, 'second, value'],
        };
        // Both at once: a status 14 (UNAVAILABLE) waits PluginClient's 250 ms settle each.
        const [unary, streamed] = await Promise.all([
          rejection(probe.unary(req), code, statusMessage(code)),
          drain(probe.serverStream({ ...req, replies: 2, replyBytes: 3 })),
        ]);
        assert.deepEqual(readDetails(unary.statusDetails), {
          code,
          message: statusMessage(code),
          texts: [`detail ${code} ✓`],
        });
        assert.deepEqual(unary.metadata.get('x-probe-trailer'), [`t${code}`, 'second, value']);

        assert.deepEqual(
          streamed.items.map((r) => [r.index, r.payload.length]),
          [
            [0, 3],
            [1, 3],
          ],
        );
        assert.ok(streamed.error instanceof RpcError);
        assert.deepEqual([streamed.error.code, streamed.error.details], [code, statusMessage(code)]);
        assert.deepEqual(readDetails(streamed.error.statusDetails).texts, [`detail ${code} ✓`]);
        assert.deepEqual(streamed.error.metadata.get('x-probe-trailer'), [`t${code}`, 'second, value']);
      };
      await Promise.all(ERROR_CODES.map(checkCode));
      // Without details and trailer, none arrive.
      const plain = await rejection(
        probe.unary({ code: 9, message: 'plain' }),
        Status.FAILED_PRECONDITION,
        'plain',
      );
      assert.equal(plain.statusDetails, undefined);
      assert.deepEqual(plain.metadata.get('x-probe-trailer'), []);
    });

    it('request metadata reaches the handler: text and binary, several values per key', async () => {
      const md = new Metadata();
      md.add('x-probe', 'a');
      md.add('x-probe', 'b, c');
      md.add('x-probe-bin', Buffer.from([0, 1, 254, 255]));
      md.add('x-probe-bin', Buffer.from('second ✓'));
      const text = await probe.unary({ echoMetadata: 'x-probe' }, { metadata: md });
      assert.deepEqual(
        text.metadata.map((v) => Buffer.from(v).toString()),
        ['a', 'b, c'],
      );
      const bin = await probe.unary({ echoMetadata: 'x-probe-bin' }, { metadata: md });
      assert.deepEqual(
        bin.metadata.map((v) => Buffer.from(v)),
        [Buffer.from([0, 1, 254, 255]), Buffer.from('second ✓')],
      );
    });

    it('300 metadata values reach the handler, and 300 trailer values us', async () => {
      // More header fields than Node accepts by default (128); grpc-go limits only the bytes.
      const many = Array.from({ length: 300 }, (_, i) => `value-${i}`);
      const md = new Metadata();
      for (const v of many) md.add('x-many', v);
      const echoed = await probe.unary({ echoMetadata: 'x-many' }, { metadata: md });
      assert.deepEqual(
        echoed.metadata.map((v) => Buffer.from(v).toString()),
        many,
      );
      const err = await rejection(
        probe.unary({ code: 5, message: 'many', trailer: many }),
        Status.NOT_FOUND,
        'many',
      );
      assert.deepEqual(err.metadata.get('x-many'), []);
      assert.deepEqual(err.metadata.get('x-probe-trailer'), many);
    });

    it('a deadline: the handler knows it and sees it pass; the client gets DEADLINE_EXCEEDED', async () => {
      const [, streamed] = await Promise.all([
        rejection(
          probe.unary({ tag: 'deadline', hold: true }, { deadline: 200 }),
          Status.DEADLINE_EXCEEDED,
          'context deadline exceeded',
        ),
        // A server stream: replies first, then the deadline (long enough for the replies on a loaded machine).
        drain(probe.serverStream({ tag: 'deadline-stream', hold: true, replies: 2 }, { deadline: 2000 })),
      ]);
      const seen = await observe('deadline', 'ended');
      // At most the client's 200 ms (less what passed before the handler ran); -1 is none.
      assert.ok(seen.deadlineMs !== -1n && seen.deadlineMs <= 200n, `server saw ${seen.deadlineMs} ms`);
      assertDeadlineEnd(seen.ended);
      assert.equal(streamed.items.length, 2);
      assert.ok(streamed.error instanceof RpcError);
      assert.equal(streamed.error.code, Status.DEADLINE_EXCEEDED);
      assertDeadlineEnd((await observe('deadline-stream', 'ended')).ended);
      // Without a deadline the handler sees none.
      await probe.unary({ tag: 'no-deadline' });
      assert.equal((await observe('no-deadline', 'ended')).deadlineMs, -1n);
    });

    it('cancellation reaches the handler (RST_STREAM CANCEL) for each call kind', async () => {
      // Unary, by AbortSignal.
      const ac = new AbortController();
      const unary = probe.unary({ tag: 'cancel-unary', hold: true }, { signal: ac.signal });
      await observe('cancel-unary', 'started');
      ac.abort(new Error('stop pressed'));
      await rejection(unary, Status.CANCELLED, 'call cancelled: stop pressed');
      assert.equal((await observe('cancel-unary', 'ended')).ended, 'canceled');

      // Server streaming, by leaving the loop after the first reply.
      for await (const reply of probe.serverStream({ tag: 'cancel-server', hold: true, replies: 1 })) {
        assert.equal(reply.index, 0);
        break;
      }
      assert.equal((await observe('cancel-server', 'ended')).ended, 'canceled');

      // Client streaming, by AbortSignal while the request stream is open.
      const ac2 = new AbortController();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      async function* requests(): AsyncGenerator<ProbeInit> {
        yield { tag: 'cancel-client' };
        await gate;
      }
      const clientStream = probe.clientStream(requests(), { signal: ac2.signal });
      await observe('cancel-client', 'started');
      ac2.abort(new Error('enough'));
      await rejection(clientStream, Status.CANCELLED, 'call cancelled: enough');
      release();
      // The request stream broke off: it never looked complete to the handler.
      assert.deepEqual(pick(await observe('cancel-client', 'ended'), ['ended', 'requestStream']), {
        ended: 'canceled',
        requestStream: 'broken',
      });

      // Bidi, by cancel() after the first reply.
      const bidi = probe.bidi();
      await bidi.send({ tag: 'cancel-bidi' });
      const it = bidi.responses[Symbol.asyncIterator]();
      assert.equal(((await it.next()).value as ProbeReply).requests, 1);
      bidi.cancel();
      assert.deepEqual(pick(await observe('cancel-bidi', 'ended'), ['ended', 'requestStream']), {
        ended: 'canceled',
        requestStream: 'broken',
      });
      await assert.rejects(it.next(), (e: unknown) => e instanceof RpcError && e.code === Status.CANCELLED);
    });

    it('message size limits: 4 MiB both ways by default, and maxReceiveMessageBytes', async () => {
      const request = (total: number): ProbeInit => ({
        payload: new Uint8Array(payloadFor(total)),
      });
      assert.equal(
        toBinary(ProbeRequestSchema, create(ProbeRequestSchema, request(FOUR_MIB))).length,
        FOUR_MIB,
      );
      assert.equal(
        toBinary(
          ProbeReplySchema,
          create(ProbeReplySchema, { payload: new Uint8Array(payloadFor(FOUR_MIB)) }),
        ).length,
        FOUR_MIB,
      );
      // The server's receive limit.
      await probe.unary(request(FOUR_MIB));
      await rejection(
        probe.unary(request(FOUR_MIB + 1)),
        Status.RESOURCE_EXHAUSTED,
        `grpc: received message larger than max (${FOUR_MIB + 1} vs. ${FOUR_MIB})`,
      );
      // In a request stream the server refuses while we are still sending.
      await rejection(
        probe.clientStream([request(10), request(FOUR_MIB + 1), request(10)]),
        Status.RESOURCE_EXHAUSTED,
        `grpc: received message larger than max (${FOUR_MIB + 1} vs. ${FOUR_MIB})`,
      );
      // Ours.
      assert.equal(
        (await probe.unary({ replyBytes: payloadFor(FOUR_MIB) })).payload.length,
        payloadFor(FOUR_MIB),
      );
      await rejection(
        probe.unary({ replyBytes: payloadFor(FOUR_MIB + 1) }),
        Status.RESOURCE_EXHAUSTED,
        `grpc: received message larger than max (${FOUR_MIB + 1} vs. ${FOUR_MIB})`,
      );
      const streamed = await drain(probe.serverStream({ replies: 2, replyBytes: payloadFor(FOUR_MIB + 1) }));
      assert.equal(streamed.items.length, 0);
      assert.ok(streamed.error instanceof RpcError && streamed.error.code === Status.RESOURCE_EXHAUSTED);
      // The connection is still good.
      assert.equal((await probe.unary({ replyBytes: 7 })).payload.length, 7);

      const roomy = await start(target, 8 * 1024 * 1024);
      try {
        const big = await roomy.c.client(Probe).unary({ replyBytes: 6 * 1024 * 1024 });
        assert.equal(big.payload.length, 6 * 1024 * 1024);
      } finally {
        await roomy.c.kill();
      }
    });

    it('1,000 concurrent unary calls', async () => {
      const replies = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          probe.unary({ replyBytes: i % 97, payload: new Uint8Array(i % 13) }),
        ),
      );
      replies.forEach((r, i) => assert.equal(r.payload.length, i % 97));
    });

    it('the four call kinds', async () => {
      assert.equal((await probe.unary({ replyBytes: 10 })).payload.length, 10);

      const streamed = await drain(probe.serverStream({ replies: 1000, replyBytes: 1024 }));
      assert.equal(streamed.error, undefined);
      assert.deepEqual(
        streamed.items.map((r) => r.index),
        Array.from({ length: 1000 }, (_, i) => i),
      );

      const parts = Array.from({ length: 300 }, (_, i) => ({
        tag: 'upload',
        payload: new Uint8Array(i % 50),
      }));
      const summed = await probe.clientStream(parts);
      assert.deepEqual(
        [summed.requests, summed.requestBytes],
        [300, BigInt(parts.reduce((n, p) => n + p.payload.length, 0))],
      );
      assert.equal((await observe('upload', 'ended')).requestStream, 'complete');

      const bidi = probe.bidi();
      const it = bidi.responses[Symbol.asyncIterator]();
      for (let i = 0; i < 50; i++) {
        await bidi.send({ replyBytes: i, payload: new Uint8Array(1) });
        const r = (await it.next()).value as ProbeReply;
        assert.deepEqual([r.index, r.requests, r.payload.length], [i, i + 1, i]);
      }
      bidi.end();
      assert.equal((await it.next()).done, true);

      // Errors on the streaming kinds after the requests.
      await rejection(
        probe.clientStream([{ code: 10, message: 'aborted ✓' }, {}, {}]),
        Status.ABORTED,
        'aborted ✓',
      );
      const failing = probe.bidi();
      await failing.send({ code: 11, message: 'out of range' });
      failing.end();
      const bidiOut = await drain(failing.responses);
      assert.equal(bidiOut.items.length, 1);
      assert.ok(bidiOut.error instanceof RpcError);
      assert.deepEqual([bidiOut.error.code, bidiOut.error.details], [Status.OUT_OF_RANGE, 'out of range']);
    });

    it('a plugin killed mid-call: calls in flight and later fail with UNAVAILABLE', async () => {
      const text = 'plugin is not running (killed by SIGKILL)';
      const unary = probe.unary({ tag: 'kill-unary', hold: true });
      // The reply has arrived, not only been sent: a plugin marks the call started before it sends,
      // and a kill right after that can drop the reply in flight.
      let firstReply!: () => void;
      const replied = new Promise<void>((resolve) => (firstReply = resolve));
      const streamed = drain(probe.serverStream({ tag: 'kill-stream', hold: true, replies: 1 }), firstReply);
      await observe('kill-unary', 'started');
      await replied;
      process.kill(run.c.pid, 'SIGKILL');
      await rejection(unary, Status.UNAVAILABLE, text);
      const out = await streamed;
      assert.equal(out.items.length, 1);
      assert.ok(out.error instanceof RpcError);
      assert.deepEqual([out.error.code, out.error.details], [Status.UNAVAILABLE, text]);
      await rejection(probe.unary({}), Status.UNAVAILABLE, text);
      assert.deepEqual(await run.c.kill(), { code: null, signal: 'SIGKILL' });
      await expectNoProcesses(TOKEN);
      assert.deepEqual(readdirSync(run.dir), [], 'no socket or directory left');
    });
  });
}

for (const target of TARGETS) suite(target);
