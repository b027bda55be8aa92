/**
 * Fuzzing the JSON-RPC gateway over real HTTP on 127.0.0.1: structure-aware
 * requests and batches (ids, versions, methods and params of every type,
 * notifications, deep nesting), byte-mutated bodies, wrong HTTP methods and
 * content types, oversized bodies. The gateway serves the real admin API
 * (a plugin manager with no providers) and a `fuzz` namespace whose methods
 * echo, throw JSON-RPC errors, throw non-Errors and return nothing, so every
 * path of the server is reached. Every answer must be geth's HTTP rejection
 * or well-formed JSON-RPC (errors included) for exactly the calls that need
 * one, and the server must keep answering.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { describeStats, fuzzCases, mutateText, runFuzz } from '@qplugin/go-plugin/testing';
import type { Rng } from '@qplugin/go-plugin/testing';

import { createPluginManager } from '../src/manager/index.js';
import { JsonRpcGateway, pluginApis, RpcMethodError } from '../src/rpc/index.js';
import type { RpcApi } from '../src/rpc/index.js';
import { loadSettings } from '../src/settings/index.js';
import { randomValue, writeJson } from './support/settings-gen.js';
import type { Value } from './support/settings-gen.js';

const BODY_LIMIT = 256 * 1024;
const BATCH_LIMIT = 1000;
/** Go's encoding/json nesting limit, which geth's request decoding inherits. */
const MAX_DEPTH = 10_000;

/** Methods that hand the server every kind of outcome a handler can produce. */
const fuzzApi: RpcApi = {
  namespace: 'fuzz',
  methods: {
    echo: async (params) => params,
    nothing: async () => undefined,
    fail: async (params) => {
      throw new RpcMethodError(-32099, 'fuzz failure', params);
    },
    throwValue: async (params) => {
      // A handler may throw anything: a string, null, a number, an object.
      throw Array.isArray(params) ? params[0] : params;
    },
  },
};

const METHODS = [
  'fuzz_echo',
  'fuzz_nothing',
  'fuzz_fail',
  'fuzz_throwValue',
  'admin_nodeInfo',
  'admin_reloadPlugin',
  'plugin@helloworld_greeting',
  'hidden_method',
  'fuzz_',
  '_echo',
  'fuzz',
  '',
  'fuzz_echo ',
  'FUZZ_ECHO',
  '__proto___constructor',
];

interface HttpCase {
  method: string;
  contentType: string | undefined;
  body: Buffer;
}

const deepCall = (levels: number, method = 'fuzz_echo'): HttpCase => ({
  method: 'POST',
  contentType: 'application/json',
  body: Buffer.from(
    `{"jsonrpc":"2.0","id":1,"method":"${method}","params":${'['.repeat(levels)}${']'.repeat(levels)}}`,
  ),
});

/**
 * Inputs this fuzz found, kept: params a few thousand levels deep made the
 * echoed result (or the error data) overflow JSON.stringify, and the server
 * answered 500 with no body (seed 449679697, case 814).
 */
const REGRESSIONS: HttpCase[] = [
  deepCall(5000),
  deepCall(9999),
  deepCall(9999, 'fuzz_fail'),
  deepCall(10_000),
  // Too deep in the text although a repeated key replaces the deep value: Go's decoder still
  // refuses it (seed 1906346511, case 896, where the oracle had it wrong).
  {
    method: 'POST',
    contentType: 'application/json',
    body: Buffer.from(
      `{"jsonrpc":"2.0","id":1,"method":"fuzz_echo","params":${'['.repeat(10_001)}${']'.repeat(10_001)},"params":0}`,
    ),
  },
];

const ctx = { caseDir: '', deep: false, long: false };

/** Arrays and objects, two to one, `levels` deep. */
function nested(levels: number, leaf: Value): Value {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 3 === 0 ? { entries: [['a', value]] } : [value];
  return value;
}

/** A request object; `deep` allows params nested thousands of levels (single requests only, for cost). */
function randomMessage(rng: Rng, deep: boolean): Value {
  if (rng.chance(0.05)) return randomValue(rng, ctx, 2);
  const entries: [string, Value][] = [];
  const r = rng.int(20);
  if (r < 18) entries.push(['jsonrpc', '2.0']);
  else if (r < 19) entries.push(['jsonrpc', rng.pick<Value>(['1.0', 2, null, '2.0 ', ''])]);
  if (rng.chance(0.95)) {
    const method = rng.chance(0.6) ? rng.pick(METHODS.slice(0, 6)) : rng.pick(METHODS);
    entries.push(['method', rng.chance(0.95) ? method : randomValue(rng, ctx, 1)]);
  }
  if (rng.chance(0.85)) {
    const valid: Value[] = [1, 0, -1, 1.5, 'abc', '', null, 2 ** 53 + 2, 1e300, rng.int(1e6)];
    const invalid: Value[] = [{ entries: [] }, [1], true];
    entries.push(['id', rng.chance(0.9) ? rng.pick(valid) : rng.pick(invalid)]);
  }
  if (rng.chance(0.85)) {
    entries.push([
      'params',
      deep && rng.chance(0.06)
        ? [nested(rng.pick([100, 3000, 5000, 9990, 10_001, 30_000]), rng.int(5))]
        : rng.chance(0.7)
          ? Array.from({ length: rng.size(4) }, () => randomValue(rng, ctx, 3))
          : randomValue(rng, ctx, 2),
    ]);
  }
  if (rng.chance(0.05))
    entries.push([rng.pick(['id', 'method', 'params', 'extra']), randomValue(rng, ctx, 1)]);
  return { entries };
}

function randomBody(rng: Rng): Buffer {
  const r = rng.int(100);
  if (r < 2) return rng.bytes(rng.size(200));
  if (r < 3) return Buffer.from(`[${'1,'.repeat(rng.range(BODY_LIMIT / 2, BODY_LIMIT))}1]`);
  let value: Value;
  if (r < 70) value = randomMessage(rng, true);
  else if (rng.chance(0.02)) {
    // At and past the batch limit: small calls and notifications (rare: each costs a thousand calls).
    const size = rng.pick([0, BATCH_LIMIT, BATCH_LIMIT + 1]);
    value = Array.from({ length: size }, (_, i) => ({
      entries: [
        ['jsonrpc', '2.0'],
        ['method', 'fuzz_echo'],
        ...(i % 7 === 0 ? [] : [['id', i] as [string, Value]]),
      ],
    }));
  } else value = Array.from({ length: rng.size(12) }, () => randomMessage(rng, false));
  const text = writeJson(rng, value);
  return rng.chance(0.3) && text.length < 100_000
    ? Buffer.from(
        mutateText(rng, text, [
          '{',
          '}',
          '[',
          ']',
          '"',
          ',',
          ':',
          'null',
          '"2.0"',
          '"id"',
          '\\u0000',
          '1e999',
        ]),
      )
    : Buffer.from(text);
}

function generate(rng: Rng): HttpCase {
  const method = rng.chance(0.95) ? 'POST' : rng.pick(['GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
  const contentType = rng.chance(0.85)
    ? 'application/json'
    : rng.pick([
        'application/json; charset=utf-8',
        'Application/JSON',
        ' application/json ',
        'text/plain',
        '',
        'application/json-rpc',
        'application/jsonx',
        undefined,
      ]);
  return { method, contentType, body: randomBody(rng) };
}

interface Reply {
  status: number;
  type: string | undefined;
  body: string;
}

/** What a request/batch element asks for, decided as geth does. */
function isCall(element: unknown): boolean {
  return (
    typeof element === 'object' &&
    element !== null &&
    !Array.isArray(element) &&
    (element as Record<string, unknown>)['jsonrpc'] === '2.0' &&
    typeof (element as Record<string, unknown>)['method'] === 'string'
  );
}
function validId(id: unknown): boolean {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}
/** Responses an element gets: none for a well-formed notification, else one. */
function wantsResponse(element: unknown): boolean {
  if (!isCall(element)) return true;
  const id = (element as Record<string, unknown>)['id'];
  return id !== undefined;
}

/** Deepest bracket nesting of JSON text, outside strings. */
function textDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') deepest = Math.max(deepest, ++depth);
    else if (ch === ']' || ch === '}') depth--;
  }
  return deepest;
}

/** Nesting of arrays and objects, level by level (no recursion: requests may be very deep). */
function containerDepth(value: unknown): number {
  const isContainer = (v: unknown): v is object => v !== null && typeof v === 'object';
  let depth = 0;
  for (let level = [value].filter(isContainer); level.length > 0; depth++) {
    level = level.flatMap((v) => Object.values(v)).filter(isContainer);
  }
  return depth;
}

function checkResponse(response: unknown, request: unknown): string {
  assert.ok(
    typeof response === 'object' && response !== null && !Array.isArray(response),
    'response is not an object',
  );
  const r = response as Record<string, unknown>;
  assert.equal(r['jsonrpc'], '2.0');
  assert.ok(validId(r['id']), `bad id ${JSON.stringify(r['id'])}`);
  const keys = Object.keys(r).sort().join(',');
  assert.ok(keys === 'error,id,jsonrpc' || keys === 'id,jsonrpc,result', `response keys ${keys}`);
  const reqId = isCall(request) ? (request as Record<string, unknown>)['id'] : undefined;
  // The id comes back re-encoded (geth echoes its raw bytes: -0.0 stays -0.0 there, is 0 here).
  if (isCall(request) && validId(reqId))
    assert.deepEqual(r['id'], JSON.parse(JSON.stringify(reqId)), 'the id is not echoed');
  if ('result' in r) {
    const call = request as Record<string, unknown> | undefined;
    if (call?.['method'] === 'fuzz_echo' && containerDepth(call['params']) < 500)
      // JSON's own round trip is the expectation (JSON.stringify writes -0 as 0).
      assert.deepEqual(
        r['result'],
        JSON.parse(JSON.stringify(call['params'] ?? null)),
        'echo returned something else',
      );
    return 'result';
  }
  const error = r['error'] as Record<string, unknown>;
  assert.ok(typeof error === 'object' && error !== null, 'error is not an object');
  assert.ok(Number.isInteger(error['code']), `error code ${String(error['code'])}`);
  assert.equal(typeof error['message'], 'string');
  const extra = Object.keys(error).filter((k) => k !== 'code' && k !== 'message' && k !== 'data');
  assert.deepEqual(extra, [], 'unexpected error fields');
  return String(error['code']);
}

function checkReply(c: HttpCase, reply: Reply): string {
  if (c.method !== 'POST') {
    assert.equal(reply.status, 405);
    return 'HTTP 405';
  }
  const base = (c.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (base !== 'application/json') {
    assert.equal(reply.status, 415);
    return 'HTTP 415';
  }
  if (c.body.length > BODY_LIMIT) {
    assert.equal(reply.status, 413);
    return 'HTTP 413';
  }
  assert.equal(reply.status, 200, `status ${reply.status}: ${reply.body.slice(0, 300)}`);
  assert.equal(reply.type, 'application/json');
  let request: unknown;
  let parsed = true;
  try {
    request = JSON.parse(c.body.toString('utf8'));
  } catch {
    parsed = false;
  }
  if (reply.body === '') {
    // Only notifications: nothing to answer.
    assert.ok(parsed, 'empty answer to a body that does not parse');
    const elements = Array.isArray(request) ? request : [request];
    assert.ok(elements.length > 0 && elements.every((e) => !wantsResponse(e)), 'empty answer to a call');
    return 'notifications only';
  }
  const answer = JSON.parse(reply.body) as unknown;
  if (parsed && textDepth(c.body.toString('utf8')) > MAX_DEPTH) {
    // geth's decoder (encoding/json) refuses it: a parse error. Depth counts in the text, so a
    // deep value that a repeated key later replaces counts too.
    assert.deepEqual(answer, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
    return 'single -32700 (too deep)';
  }
  if (!parsed || !Array.isArray(request) || request.length === 0 || request.length > BATCH_LIMIT) {
    assert.ok(!Array.isArray(answer), 'a batch answer to a single request');
    return `single ${checkResponse(answer, parsed && !Array.isArray(request) ? request : undefined)}`;
  }
  assert.ok(Array.isArray(answer), 'a single answer to a batch');
  const wanted = request.filter(wantsResponse);
  assert.equal(answer.length, wanted.length, 'one response per call');
  // Responses come in request order.
  answer.forEach((response, i) => checkResponse(response, wanted[i]));
  return 'batch';
}

describe('JSON-RPC gateway fuzz', () => {
  let gateway: JsonRpcGateway;
  let url: URL;
  let scratch: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'qp-rpc-fuzz-'));
    writeFileSync(join(scratch, 'settings.json'), '{"providers": {}}');
    const settings = await loadSettings('file://./settings.json', { cwd: scratch, datadir: scratch });
    const manager = createPluginManager({ settings, verification: 'skip' });
    gateway = new JsonRpcGateway({
      apis: [...pluginApis(manager), fuzzApi],
      enabled: ['admin', 'fuzz', 'plugin@helloworld'],
      port: 0,
      bodyLimit: BODY_LIMIT,
      batchLimit: BATCH_LIMIT,
    });
    url = new URL(await gateway.start());
  });
  after(async () => {
    agent.destroy();
    await gateway.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  function send(c: HttpCase): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'content-length': String(c.body.length) };
      if (c.contentType !== undefined) headers['content-type'] = c.contentType;
      const req = request(
        { host: url.hostname, port: url.port, path: '/', method: c.method, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: res.headers['content-type'],
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(c.body);
    });
  }

  async function alive(): Promise<void> {
    const reply = await send({
      method: 'POST',
      contentType: 'application/json',
      body: Buffer.from('{"jsonrpc":"2.0","id":7,"method":"admin_nodeInfo","params":[]}'),
    });
    assert.deepEqual(JSON.parse(reply.body), { jsonrpc: '2.0', id: 7, result: { plugins: {} } });
  }

  it('answers every request with geth’s HTTP rejection or well-formed JSON-RPC, and stays up', async (t) => {
    const stats = await runFuzz({
      name: 'rpc',
      cases: fuzzCases(1000),
      regressions: REGRESSIONS,
      generate,
      async check(c, index) {
        const reply = await send(c);
        const outcome = checkReply(c, reply);
        if (index % 200 === 199) await alive();
        return outcome;
      },
      show: (c) =>
        JSON.stringify({ method: c.method, contentType: c.contentType, body: c.body.toString('utf8') }),
    });
    t.diagnostic(describeStats('rpc', stats));
    await alive();
  });
});
