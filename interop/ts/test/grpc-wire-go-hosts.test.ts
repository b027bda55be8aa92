/**
 * Our gRPC server (serve() over protocol/grpc) against real gRPC clients: Go
 * hosts built with go-plugin v1.0.1 (grpc-go v1.27.1), v1.2.2 (grpc-go
 * v1.56.3) and v1.8.0 (grpc-go v1.61.0, also with the connection multiplexed
 * over yamux) call qplugin.interop.Probe on the TS interop plugin through the
 * host's probe step (interop/go/README.md). Every status code with its
 * message, details and trailer as grpc-go reads them, trailers-only and after
 * replies; request metadata as our handler sees it; deadlines and
 * cancellation as our handler sees them; size limits both ways; 1,000
 * concurrent calls; the four call kinds; the plugin killed mid-call. One host
 * run per version carries every case; each test reads its part of the report.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { expectNoProcesses, isAlive } from '@qplugin/go-plugin/testing';

import { goPeer, interopSkip } from '../src/support/go.js';
import type { GoPluginVersion } from '../src/support/go.js';
import { runGoHost, step } from '../src/support/gohost.js';
import type { HostRun } from '../src/support/gohost.js';
import { INTEROP_PLUGIN, nodePlugin } from '../src/support/paths.js';
import { ERROR_CODES, FOUR_MIB, payloadFor, statusMessage } from '../src/support/probe.js';

const skip = interopSkip();
const scratch = mkdtempSync(join(tmpdir(), 'qp-wire-hosts-'));
/** Extra argv marking this file's plugin processes (test files run in parallel). */
const TOKEN = `--qp-test=${randomUUID()}`;
after(() => rmSync(scratch, { recursive: true, force: true }));

/** grpc-go's names of the codes, as the host reports them. */
const GO_CODES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

const b64 = (b: Buffer): string => b.toString('base64');
const SECOND = 'second, value';
/** More header fields than Node accepts by default (128); grpc-go limits only the bytes. */
const MANY = Array.from({ length: 300 }, (_, i) => `value-${i}`);

/** The probe steps of one host run, by name, so that tests can find their report. */
class Plan {
  readonly names: string[] = [];
  readonly steps: string[] = [];
  add(name: string, spec: Record<string, unknown>): this {
    this.names.push(name);
    this.steps.push(`probe:${JSON.stringify(spec)}`);
    return this;
  }
  report(run: HostRun, name: string): Record<string, unknown> {
    const n = this.names.indexOf(name);
    assert.ok(n >= 0, `no step ${name}`);
    const r = step(run, 'probe', n);
    assert.equal(r.ok, true, `${name}: ${JSON.stringify(r)}`);
    return r;
  }
}

function plan(): Plan {
  const p = new Plan();
  for (const code of ERROR_CODES) {
    const fields = {
      code,
      message: statusMessage(code),
      detail: `detail ${code} ✓`,
      trailer: [`t${code}`, SECOND],
    };
    p.add(`unary-${code}`, fields);
    p.add(`server-${code}`, { kind: 'server', replies: 2, reply_bytes: 3, ...fields });
  }
  p.add('plain', { code: 9, message: 'plain' });
  p.add('md-text', { echo_metadata: 'x-probe', metadata: { 'x-probe': ['a', 'b, c'] } });
  p.add('md-bin', {
    echo_metadata: 'x-probe-bin',
    metadata: { 'x-probe-bin': [b64(Buffer.from([0, 1, 254, 255])), b64(Buffer.from('second ✓'))] },
  });
  p.add('md-many', { metadata: { 'x-many': MANY }, code: 5, trailer: MANY });
  p.add('md-many-echo', { echo_metadata: 'x-many', metadata: { 'x-many': MANY } });
  p.add('deadline', { tag: 'deadline', hold: true, deadline_ms: 200 });
  p.add('deadline-stream', {
    kind: 'server',
    tag: 'deadline-stream',
    hold: true,
    replies: 2,
    // Long enough for the replies to arrive first on a loaded machine.
    deadline_ms: 2000,
  });
  p.add('step-deadline', { tag: 'step-deadline' });
  p.add('cancel-unary', { tag: 'cancel-unary', hold: true, cancel: true });
  p.add('cancel-server', { kind: 'server', tag: 'cancel-server', hold: true, replies: 1, cancel: true });
  p.add('cancel-client', { kind: 'client', tag: 'cancel-client', open: true, cancel: true });
  p.add('cancel-bidi', { kind: 'bidi', tag: 'cancel-bidi', open: true, cancel: true });
  p.add('request-4mib', { payload_bytes: payloadFor(FOUR_MIB) });
  p.add('request-over', { payload_bytes: payloadFor(FOUR_MIB + 1) });
  p.add('client-over', { kind: 'client', requests: 3, payload_bytes: payloadFor(FOUR_MIB + 1) });
  p.add('reply-6mib', { reply_bytes: 6 * 1024 * 1024 });
  p.add('parallel', { parallel: 1000, reply_bytes: 10 });
  p.add('unary', { reply_bytes: 10 });
  p.add('unknown-method', { method: '/qplugin.interop.Probe/NoSuchMethod' });
  p.add('unknown-service', { method: '/no.such.Service/Call' });
  p.add('compressed', { compress: true, reply_bytes: 3 });
  p.add('compressed-stream', { kind: 'server', compress: true, replies: 1 });
  p.add('server', { kind: 'server', replies: 1000, reply_bytes: 1024 });
  p.add('client', { kind: 'client', tag: 'upload', requests: 300, payload_bytes: 50 });
  p.add('bidi', { kind: 'bidi', requests: 50, payload_bytes: 1, reply_bytes: 3 });
  p.add('client-error', { kind: 'client', requests: 3, code: 10, message: 'aborted ✓' });
  p.add('bidi-error', { kind: 'bidi', requests: 1, code: 11, message: 'out of range' });
  // Last: the plugin does not survive it.
  p.add('kill', { tag: 'kill', hold: true, kill: true });
  return p;
}

/** The call's outcome as grpc-go reported it: code name, message. */
const outcome = (r: Record<string, unknown>): [unknown, unknown] => [r.code, r.message];

function suite(version: GoPluginVersion, mux: boolean): void {
  describe(`Go host ${version}${mux ? ', multiplexed (yamux)' : ''} → our server`, { skip }, () => {
    const p = plan();
    let run: HostRun;
    const report = (name: string): Record<string, unknown> => p.report(run, name);

    before(async () => {
      const tmp = mkdtempSync(join(scratch, 'run-'));
      run = await runGoHost(goPeer(version).host, {
        mux,
        plugin: [...nodePlugin(INTEROP_PLUGIN), TOKEN],
        steps: p.steps,
        env: { ...process.env, TMPDIR: tmp },
      });
      assert.equal(step(run, 'start').ok, true, run.log);
    });

    it('status codes 1..16 with message, details and trailer: trailers-only and after replies', () => {
      for (const code of ERROR_CODES) {
        const want = {
          code: GO_CODES[code],
          message: statusMessage(code),
          error: `rpc error: code = ${GO_CODES[code]} desc = ${statusMessage(code)}`,
          details: [`EchoResponse:detail ${code} ✓`],
          trailer: [`t${code}`, SECOND],
        };
        const unary = report(`unary-${code}`);
        assert.deepEqual(pick(unary, ['code', 'message', 'error', 'details', 'trailer', 'replies']), {
          ...want,
          replies: 0,
        });
        const streamed = report(`server-${code}`);
        assert.deepEqual(
          pick(streamed, ['code', 'message', 'error', 'details', 'trailer', 'replies', 'reply_bytes']),
          { ...want, replies: 2, reply_bytes: 6 },
        );
      }
      const plain = report('plain');
      assert.deepEqual(pick(plain, ['code', 'message', 'details', 'trailer']), {
        code: 'FailedPrecondition',
        message: 'plain',
        details: [],
        trailer: [],
      });
    });

    it('300 metadata values reach our handler, and 300 trailer values grpc-go', () => {
      const r = report('md-many');
      assert.deepEqual([r.code, r.trailer], ['NotFound', MANY]);
      assert.deepEqual(report('md-many-echo').metadata, MANY);
    });

    it('request metadata reaches our handler: text and binary, several values per key', () => {
      assert.deepEqual(report('md-text').metadata, ['a', 'b, c']);
      assert.deepEqual(report('md-bin').metadata, [
        b64(Buffer.from([0, 1, 254, 255])),
        b64(Buffer.from('second ✓')),
      ]);
    });

    it('a deadline: our handler knows it and sees it pass; grpc-go gets DeadlineExceeded', () => {
      for (const name of ['deadline', 'deadline-stream']) {
        const r = report(name);
        assert.deepEqual(outcome(r), ['DeadlineExceeded', 'context deadline exceeded'], name);
        const ms = r.server_deadline_ms as number;
        // At most the client's deadline (less what passed before the handler ran); -1 is none.
        const limit = name === 'deadline' ? 200 : 2000;
        assert.ok(ms !== -1 && ms <= limit, `${name}: the handler saw ${ms} ms`);
        // As in grpc-wire-plugins: the client's reset may beat our timer.
        assert.ok(
          r.server_ended === 'deadline' || r.server_ended === 'canceled',
          `${name}: ${String(r.server_ended)}`,
        );
      }
      assert.equal(report('deadline-stream').replies, 2);
      // The step's own 30 s deadline arrives too.
      const ms = report('step-deadline').server_deadline_ms as number;
      assert.ok(ms > 25_000 && ms <= 30_000, `the handler saw ${ms} ms`);
    });

    it('cancellation reaches our handler (RST_STREAM CANCEL) for each call kind', () => {
      for (const kind of ['unary', 'server', 'client', 'bidi']) {
        const r = report(`cancel-${kind}`);
        assert.deepEqual(outcome(r), ['Canceled', 'context canceled'], kind);
        assert.equal(r.server_ended, 'canceled', kind);
      }
      // A request stream still open when the call is cancelled broke off: it never looked complete.
      assert.equal(report('cancel-client').server_request_stream, 'broken');
      assert.equal(report('cancel-bidi').server_request_stream, 'broken');
      assert.equal(report('cancel-bidi').replies, 1);
    });

    it('message size limits: our server refuses over 4 MiB; the Go host takes large replies', () => {
      assert.equal(report('request-4mib').code, 'OK');
      const over = [
        'ResourceExhausted',
        `grpc: received message larger than max (${FOUR_MIB + 1} vs. ${FOUR_MIB})`,
      ];
      assert.deepEqual(outcome(report('request-over')), over);
      // In a request stream the status arrives while grpc-go is still sending.
      assert.deepEqual(outcome(report('client-over')), over);
      // go-plugin's client accepts up to 2 GiB.
      const big = report('reply-6mib');
      assert.deepEqual([big.code, big.reply_bytes], ['OK', 6 * 1024 * 1024]);
    });

    it('unknown services and methods: Unimplemented, naming the path', () => {
      const cases: [string, string][] = [
        ['unknown-method', 'NoSuchMethod'],
        ['unknown-service', 'no.such.Service'],
      ];
      for (const [name, part] of cases) {
        const r = report(name);
        assert.equal(r.code, 'Unimplemented', `${name}: ${JSON.stringify(r)}`);
        assert.ok(String(r.message).includes(part), `${name}: ${String(r.message)}`);
        assert.equal(r.replies, 0, name);
      }
    });

    it('a gzip-compressed request is refused with Unimplemented (we offer no compression)', () => {
      for (const name of ['compressed', 'compressed-stream']) {
        const r = report(name);
        assert.deepEqual(
          [r.code, r.message, r.replies],
          ['Unimplemented', 'grpc: Decompressor is not installed for grpc-encoding "gzip"', 0],
          `${name}: ${JSON.stringify(r)}`,
        );
      }
    });

    it('1,000 concurrent calls', () => {
      assert.deepEqual(pick(report('parallel'), ['parallel', 'ok_count', 'first_error']), {
        parallel: 1000,
        ok_count: 1000,
        first_error: '',
      });
    });

    it('the four call kinds', () => {
      assert.deepEqual(pick(report('unary'), ['code', 'replies', 'reply_bytes']), {
        code: 'OK',
        replies: 1,
        reply_bytes: 10,
      });
      assert.deepEqual(pick(report('server'), ['code', 'replies', 'reply_bytes']), {
        code: 'OK',
        replies: 1000,
        reply_bytes: 1024 * 1000,
      });
      assert.deepEqual(
        pick(report('client'), ['code', 'replies', 'requests', 'request_bytes', 'server_request_stream']),
        { code: 'OK', replies: 1, requests: 300, request_bytes: 300 * 50, server_request_stream: 'complete' },
      );
      assert.deepEqual(
        pick(report('bidi'), ['code', 'replies', 'reply_bytes', 'requests', 'request_bytes']),
        {
          code: 'OK',
          replies: 50,
          reply_bytes: 150,
          requests: 50,
          request_bytes: 50,
        },
      );
      assert.deepEqual(outcome(report('client-error')), ['Aborted', 'aborted ✓']);
      const bidiError = report('bidi-error');
      assert.deepEqual([...outcome(bidiError), bidiError.replies], ['OutOfRange', 'out of range', 1]);
    });

    it('the plugin killed mid-call: grpc-go gets Unavailable, the host sees the exit', async () => {
      assert.equal(report('kill').code, 'Unavailable', JSON.stringify(report('kill')));
      const kill = step(run, 'kill');
      assert.equal(kill.exited, true);
      assert.ok(!isAlive(kill.pid as number));
      await expectNoProcesses(TOKEN);
    });
  });
}

function pick(r: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, r[k]]));
}

suite('v1.0.1', false);
suite('v1.2.2', false);
suite('v1.8.0', false);
suite('v1.8.0', true);
