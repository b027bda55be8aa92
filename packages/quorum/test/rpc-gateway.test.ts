/** The JSON-RPC server itself: HTTP rules, timeouts, draining shutdown, namespaces. */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';

import { CallDeadlines, CallTimeoutError } from '../src/rpc/deadlines.js';
import type { Clock } from '../src/rpc/deadlines.js';
import { JsonRpcGateway } from '../src/rpc/index.js';
import type { CallContext, RpcApi } from '../src/rpc/index.js';

/** A clock that moves only when told to; timers run when their time has come. */
function manualClock(): { clock: Clock; timersSet: () => number; advance: (ms: number) => void } {
  let now = 0;
  let set = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    clock: {
      now: () => now,
      setTimer: (fn, ms) => {
        set++;
        timers.push({ at: now + ms, fn });
      },
    },
    timersSet: () => set,
    advance(ms) {
      now += ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
        if (!due) return;
        timers.splice(timers.indexOf(due), 1);
        due.fn();
      }
    },
  };
}

function post(
  url: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  method = 'POST',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

const rpc = (method: string, params: unknown[] = []): string =>
  JSON.stringify({ jsonrpc: '2.0', id: 7, method, params });

/** V8's text for JSON.stringify on a cycle (it names the path, so take it from V8). */
function cycleMessage(): string {
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  try {
    JSON.stringify({ jsonrpc: '2.0', id: 7, result: cyclic });
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

function slowApi(release: Promise<void>, onSlow: () => void = () => {}): RpcApi {
  return {
    namespace: 'test',
    methods: {
      slow: async () => {
        onSlow();
        await release;
        return 'done';
      },
      echo: async (params) => params,
    },
  };
}

describe('JsonRpcGateway', () => {
  it('exposes only enabled namespaces', async () => {
    const gw = new JsonRpcGateway({
      apis: [slowApi(Promise.resolve()), { namespace: 'hidden', methods: { x: async () => 1 } }],
      enabled: ['test'],
      port: 0,
    });
    const url = await gw.start();
    assert.deepEqual(JSON.parse((await post(url, rpc('test_echo', [1, 'a']))).body), {
      jsonrpc: '2.0',
      id: 7,
      result: [1, 'a'],
    });
    assert.equal(JSON.parse((await post(url, rpc('hidden_x'))).body).error.code, -32601);
    await gw.stop();
  });

  it('applies geth’s HTTP rules: POST, JSON content type, body limit', async () => {
    const gw = new JsonRpcGateway({ apis: [], enabled: [], port: 0, bodyLimit: 1024 });
    const url = await gw.start();
    assert.equal((await post(url, '', {}, 'GET')).status, 405);
    assert.equal((await post(url, rpc('x_y'), { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post(url, 'x'.repeat(2048))).status, 413);
    assert.equal(
      (await post(url, rpc('x_y'), { 'content-type': 'application/json; charset=utf-8' })).status,
      200,
    );
    await gw.stop();
  });

  it('times out a call that takes too long, aborting the signal its handler reads', async () => {
    const { clock, advance } = manualClock();
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const seen: { reason?: unknown } = {};
    const gw = new JsonRpcGateway({
      apis: [
        {
          namespace: 'test',
          methods: {
            hang: (_params, ctx) =>
              new Promise((_resolve, reject) => {
                ctx.signal.addEventListener('abort', () => {
                  seen.reason = ctx.signal.reason;
                  reject(new Error('aborted'));
                });
                started();
              }),
          },
        },
      ],
      enabled: ['test'],
      port: 0,
      callTimeoutMs: 100,
      clock,
    });
    const url = await gw.start();
    try {
      const answer = post(url, rpc('test_hang'));
      await running;
      advance(99);
      assert.ok(!('reason' in seen), 'not aborted before its time');
      advance(1);
      assert.deepEqual(JSON.parse((await answer).body).error, { code: -32000, message: 'request timed out' });
      assert.ok(
        seen.reason instanceof DOMException && seen.reason.name === 'TimeoutError',
        String(seen.reason),
      );
    } finally {
      await gw.stop();
    }
  });

  it('stop() lets in-flight calls finish and refuses new connections', async () => {
    let release: () => void = () => {};
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const gw = new JsonRpcGateway({
      apis: [slowApi(new Promise<void>((r) => (release = r)), started)],
      enabled: ['test'],
      port: 0,
    });
    const url = await gw.start();
    const inFlight = post(url, rpc('test_slow'));
    // Stop once the call is in its handler (a fixed wait raced the request on a loaded machine).
    await running;
    let done = false;
    const stopped = gw.stop().then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'stop() waits for the call in flight');
    release();
    assert.deepEqual(JSON.parse((await inFlight).body), { jsonrpc: '2.0', id: 7, result: 'done' });
    await stopped;
    await assert.rejects(post(url, rpc('test_echo')), /ECONNREFUSED/);
  });

  // Found by rpc-fuzz.test.ts: params nested a few thousand deep made the echoed
  // result overflow JSON.stringify, and the server answered 500 with no body.
  it('answers results nested past JSON.stringify’s reach (fuzz regression)', async () => {
    const gw = new JsonRpcGateway({ apis: [slowApi(Promise.resolve())], enabled: ['test'], port: 0 });
    const url = await gw.start();
    try {
      // 10,000 levels with the request object; in a batch, the batch array is one more.
      const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
      const call = (params: string): string =>
        `{"jsonrpc":"2.0","id":7,"method":"test_echo","params":${params}}`;
      const reply = await post(url, call(deep(9999)));
      assert.equal(reply.status, 200);
      assert.equal(reply.body, `{"jsonrpc":"2.0","id":7,"result":${deep(9999)}}\n`);
      const batch = await post(url, `[${call(deep(9998))},${rpc('test_echo', [1])}]`);
      assert.equal(
        batch.body,
        `[{"jsonrpc":"2.0","id":7,"result":${deep(9998)}},{"jsonrpc":"2.0","id":7,"result":[1]}]\n`,
      );
    } finally {
      await gw.stop();
    }
  });

  it('a body nested deeper than 10,000 levels is geth’s parse error (Go’s decoder limit)', async () => {
    const gw = new JsonRpcGateway({ apis: [slowApi(Promise.resolve())], enabled: ['test'], port: 0 });
    const url = await gw.start();
    for (const params of ['['.repeat(9999) + ']'.repeat(9999), `["${'['.repeat(20_000)}"]`]) {
      const ok = await post(url, `{"jsonrpc":"2.0","id":1,"method":"test_echo","params":${params}}`);
      assert.ok('result' in JSON.parse(ok.body), 'brackets inside strings do not count');
    }
    const tooDeep = `{"jsonrpc":"2.0","id":1,"method":"test_echo","params":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    assert.deepEqual(JSON.parse((await post(url, tooDeep)).body), {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'parse error' },
    });
    assert.equal(
      JSON.parse((await post(url, `[${'['.repeat(10_000)}${']'.repeat(10_000)}]`)).body).error.code,
      -32700,
    );
    await gw.stop();
  });

  it('a result JSON cannot encode fails that call only, with -32603', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const gw = new JsonRpcGateway({
      apis: [
        { namespace: 'bad', methods: { big: async () => 10n, cycle: async () => cyclic, ok: async () => 1 } },
      ],
      enabled: ['bad'],
      port: 0,
    });
    const url = await gw.start();
    const reply = await post(url, `[${rpc('bad_big')},${rpc('bad_cycle')},${rpc('bad_ok')}]`);
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), [
      {
        jsonrpc: '2.0',
        id: 7,
        error: {
          code: -32603,
          message: 'response could not be encoded: Do not know how to serialize a BigInt',
        },
      },
      {
        jsonrpc: '2.0',
        id: 7,
        error: { code: -32603, message: `response could not be encoded: ${cycleMessage()}` },
      },
      { jsonrpc: '2.0', id: 7, result: 1 },
    ]);
    await gw.stop();
  });
  it(
    'times out a call whose handler never reads its signal, with one timer for all calls',
    { timeout: 10_000 },
    async () => {
      const { clock, timersSet, advance } = manualClock();
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const gw = new JsonRpcGateway({
        apis: [
          {
            namespace: 'test',
            methods: {
              stuck: () => {
                started();
                return new Promise(() => {});
              },
              echo: async (params) => params,
            },
          },
        ],
        enabled: ['test'],
        port: 0,
        callTimeoutMs: 1000,
        clock,
        drainTimeoutMs: 10,
      });
      const url = await gw.start();
      for (let i = 0; i < 5; i++)
        assert.equal(JSON.parse((await post(url, rpc('test_echo', [i]))).body).result[0], i);
      const stuck = post(url, rpc('test_stuck'));
      await running;
      advance(999);
      advance(1);
      assert.deepEqual(JSON.parse((await stuck).body).error, { code: -32000, message: 'request timed out' });
      assert.equal(timersSet(), 1, 'the first call armed the only timer; later calls did not set one');
      await gw.stop();
    },
  );

  it('makes no AbortSignal for a call whose handler does not read it', async (t) => {
    let controllers = 0;
    const Original = globalThis.AbortController;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        controllers++;
      }
    };
    t.after(() => (globalThis.AbortController = Original));
    // Wrapped, still working: only the calls are counted.
    const timeout = t.mock.method(AbortSignal, 'timeout');
    const any = t.mock.method(AbortSignal, 'any');
    let read: AbortSignal | undefined;
    const gw = new JsonRpcGateway({
      apis: [
        {
          namespace: 'test',
          methods: {
            echo: async (params) => params,
            reads: async (_params, ctx: CallContext) => {
              read = ctx.signal;
              return ctx.signal.aborted;
            },
          },
        },
      ],
      enabled: ['test'],
      port: 0,
    });
    const url = await gw.start();
    const before = controllers;
    for (let i = 0; i < 10; i++) await post(url, rpc('test_echo', [i]));
    assert.deepEqual([controllers - before, timeout.mock.callCount(), any.mock.callCount()], [0, 0, 0]);
    assert.equal(JSON.parse((await post(url, rpc('test_reads'))).body).result, false);
    assert.equal(controllers - before, 1, 'a handler that reads ctx.signal gets one');
    assert.equal(read?.aborted, false);
    await gw.stop();
  });

  it(
    'stop() aborts the signals of calls still running after the drain time',
    { timeout: 10_000 },
    async () => {
      let aborted!: (reason: unknown) => void;
      const reason = new Promise<unknown>((r) => (aborted = r));
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const gw = new JsonRpcGateway({
        apis: [
          {
            namespace: 'test',
            methods: {
              hang: (_params, ctx) =>
                new Promise((_resolve, reject) => {
                  ctx.signal.addEventListener('abort', () => {
                    aborted(ctx.signal.reason);
                    reject(new Error('aborted'));
                  });
                  started();
                }),
            },
          },
        ],
        enabled: ['test'],
        port: 0,
        drainTimeoutMs: 20,
      });
      const url = await gw.start();
      const inFlight = post(url, rpc('test_hang'));
      await running;
      await gw.stop();
      assert.equal(((await reason) as Error).name, 'AbortError');
      // The connection was closed with the call still unanswered.
      await assert.rejects(inFlight, /socket hang up|ECONNRESET/);
    },
  );
});

describe('CallDeadlines', () => {
  const live = new AbortController().signal;

  it('expires calls oldest first with one timer, skipping those that finished', () => {
    const { clock, timersSet, advance } = manualClock();
    const d = new CallDeadlines(100, clock);
    const a = d.start(live);
    advance(10);
    const b = d.start(live);
    advance(10);
    const c = d.start(live);
    assert.equal(timersSet(), 1);
    d.finish(a);
    advance(80); // a's deadline: a finished, nothing is due; the timer re-arms for b
    assert.deepEqual([a.timedOut, b.timedOut, c.timedOut], [false, false, false]);
    assert.equal(d.size, 2);
    advance(10);
    assert.deepEqual([b.timedOut, c.timedOut], [true, false]);
    advance(10);
    assert.equal(c.timedOut, true);
    assert.equal(d.size, 0);
    assert.equal(timersSet(), 3);
    d.finish(c); // finishing an expired call is harmless
    assert.equal(d.size, 0);
  });

  it('aborts a signal that was read at the deadline with a TimeoutError, and rejects settle()', async () => {
    const { clock, advance } = manualClock();
    const d = new CallDeadlines(50, clock);
    const scope = d.start(live);
    const signal = scope.signal;
    const settled = scope.settle(new Promise(() => {}));
    advance(50);
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as DOMException).name, 'TimeoutError');
    await assert.rejects(settled, CallTimeoutError);
    // Read only after the deadline: made already aborted.
    const late = d.start(live);
    advance(50);
    assert.equal(late.signal.aborted, true);
    await assert.rejects(late.settle(Promise.resolve(1)), CallTimeoutError);
  });

  it('settle() passes results and errors through before the deadline', async () => {
    const d = new CallDeadlines(50, manualClock().clock);
    assert.equal(await d.start(live).settle(Promise.resolve(7)), 7);
    assert.equal(await d.start(live).settle(8), 8, 'a plain JS handler may return a value');
    await assert.rejects(d.start(live).settle(Promise.reject(new Error('boom'))), /boom/);
  });

  it('abortAll() aborts the signals made so far; a signal read after the stop is made aborted', () => {
    const d = new CallDeadlines(1000, manualClock().clock);
    const stopping = new AbortController();
    const read = d.start(stopping.signal);
    const signal = read.signal;
    const unread = d.start(stopping.signal);
    stopping.abort();
    d.abortAll(stopping.signal.reason);
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as DOMException).name, 'AbortError');
    assert.equal(unread.signal.aborted, true);
  });
});
