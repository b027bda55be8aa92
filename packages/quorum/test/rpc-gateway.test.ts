/** The JSON-RPC server itself: HTTP rules, timeouts, draining shutdown, namespaces. */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';

import { JsonRpcGateway } from '../src/rpc/index.js';
import type { RpcApi } from '../src/rpc/index.js';

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

function slowApi(release: Promise<void>): RpcApi {
  return {
    namespace: 'test',
    methods: {
      slow: async () => {
        await release;
        return 'done';
      },
      hang: (_params, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
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

  it('times out a call that takes too long', async () => {
    const gw = new JsonRpcGateway({
      apis: [slowApi(new Promise(() => {}))],
      enabled: ['test'],
      port: 0,
      callTimeoutMs: 100,
    });
    const url = await gw.start();
    assert.deepEqual(JSON.parse((await post(url, rpc('test_hang'))).body).error, {
      code: -32000,
      message: 'request timed out',
    });
    await gw.stop();
  });

  it('stop() lets in-flight calls finish and refuses new connections', async () => {
    let release: () => void = () => {};
    const gw = new JsonRpcGateway({
      apis: [slowApi(new Promise<void>((r) => (release = r)))],
      enabled: ['test'],
      port: 0,
    });
    const url = await gw.start();
    const inFlight = post(url, rpc('test_slow'));
    await new Promise((r) => setTimeout(r, 50));
    const stopped = gw.stop();
    setTimeout(release, 100);
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
});
