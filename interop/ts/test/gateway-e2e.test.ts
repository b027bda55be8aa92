/**
 * Issue 6's proof through real processes: settings with the TS hello world,
 * security and account plugins → the plugin manager → the JSON-RPC gateway
 * over HTTPS from the security plugin, bearer tokens checked by it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { expectNoProcesses, waitUntil, isAlive } from '@qplugin/go-plugin/testing';
import { packPlugin } from '@qplugin/cli';
import {
  AccountGateway,
  AccountService,
  createPluginManager,
  loadSettings,
  startRpcEndpoint,
} from '@qplugin/quorum';
import { privateKeyToAddress, recoverAddress } from '@qplugin/quorum/account-crypto/internal';
import type { PluginManager, RpcEndpoint } from '@qplugin/quorum';

import { REPO_ROOT } from '../src/support/go.js';

const scratch = mkdtempSync(join(tmpdir(), 'qp-gw-'));
const workspaceRoot = join(scratch, `ws-${randomUUID()}`);
mkdirSync(workspaceRoot);
after(() => rmSync(scratch, { recursive: true, force: true }));

const example = (name: string): string => join(REPO_ROOT, 'examples', name, 'dist', 'src', 'main.js');
const future = new Date(Date.now() + 3600_000).toISOString();
const past = new Date(Date.now() - 3600_000).toISOString();
const all = [
  { service: 'plugin@helloworld', method: '*' },
  { service: 'plugin@account', method: '*' },
  { service: 'admin', method: '*' },
];

let cert: Buffer;
let helloConfig: string;
let manager: PluginManager;
let endpoint: RpcEndpoint;

interface RpcReply {
  status: number;
  body: string;
  json?: { result?: unknown; error?: { code: number; message: string } } | Array<Record<string, unknown>>;
}

function post(body: string | Buffer, token?: string): Promise<RpcReply> {
  const url = new URL(endpoint.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        ca: cert,
        servername: 'localhost',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let json: RpcReply['json'];
          try {
            json = text ? (JSON.parse(text) as RpcReply['json']) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json });
        });
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

async function call(
  method: string,
  params: unknown[],
  token = 'admin-token',
): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  const reply = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), token);
  assert.equal(reply.status, 200, reply.body);
  return reply.json as { result?: unknown; error?: { code: number; message: string } };
}

before(async () => {
  const dir = join(scratch, 'node');
  const baseDir = join(dir, 'plugins');
  mkdirSync(baseDir, { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'tls.key'),
      '-out',
      join(dir, 'tls.crt'),
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-days',
      '1',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'tls.crt'));
  for (const name of ['helloworld', 'security', 'account']) {
    await packPlugin({ name: `ts-${name}`, version: '1.0.0', entry: example(name), outDir: baseDir });
  }
  helloConfig = join(dir, 'hello.json');
  writeFileSync(helloConfig, '{"language":"en"}');
  const security = {
    tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
    tokens: {
      'admin-token': { expiresAt: future, authorities: all },
      'hello-only': {
        expiresAt: future,
        authorities: [{ service: 'plugin@helloworld', method: 'greeting' }],
      },
      'old-token': { expiresAt: past, authorities: all },
    },
  };
  const settingsFile = join(dir, 'settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({
      baseDir,
      providers: {
        helloworld: { name: 'ts-helloworld', version: '1.0.0', config: `file://${helloConfig}` },
        security: { name: 'ts-security', version: '1.0.0', config: security },
        account: { name: 'ts-account', version: '1.0.0' },
      },
    }),
  );
  const settings = await loadSettings(`file://${settingsFile}`);
  manager = createPluginManager({ settings, verification: 'skip', identity: 'node-1', workspaceRoot });
  await manager.start();
  endpoint = await startRpcEndpoint(manager, {
    port: 0,
    enabled: ['admin', 'plugin@helloworld', 'plugin@account'],
  });
});

after(async () => {
  await endpoint?.gateway.stop();
  await manager?.stop();
  await expectNoProcesses(workspaceRoot);
});

describe('JSON-RPC gateway secured by the security plugin', () => {
  it('serves HTTPS with the plugin’s certificate and requires tokens', async () => {
    assert.match(endpoint.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(endpoint.secured, { tls: true, auth: true });
    assert.deepEqual(await call('plugin@helloworld_greeting', ['Quorum']), {
      jsonrpc: '2.0',
      id: 1,
      result: 'Hello Quorum!',
    });
  });

  it('runs the packed TS plugins (#!/usr/bin/env node) on the Node.js that runs the tests', async () => {
    const info = (await call('admin_nodeInfo', [])).result as {
      plugins: Record<string, { pid: number | null }>;
    };
    for (const name of ['helloworld', 'security', 'account']) {
      const pid = info.plugins[name]!.pid;
      assert.ok(pid, `${name} is running`);
      assert.equal(readlinkSync(`/proc/${pid}/exe`), realpathSync(process.execPath), name);
    }
  });

  it('answers -32001 for a missing, insufficient or expired token', async () => {
    assert.deepEqual((await call('plugin@helloworld_greeting', ['x'], '')).error, {
      code: -32001,
      message: 'missing access token',
    });
    assert.deepEqual((await call('admin_reloadPlugin', ['helloworld'], 'hello-only')).error, {
      code: -32001,
      message: 'admin_reloadPlugin - access denied',
    });
    assert.equal((await call('plugin@helloworld_greeting', ['x'], 'hello-only')).result, 'Hello x!');
    assert.deepEqual((await call('plugin@helloworld_greeting', ['x'], 'old-token')).error, {
      code: -32001,
      message: 'token expired',
    });
    assert.equal((await call('plugin@helloworld_greeting', ['x'], 'no-such-token')).error?.code, -32001);
  });

  it('creates and imports accounts; a signature verifies against the account address', async () => {
    const created = (await call('plugin@account_newAccount', [{ passphrase: 'pw' }])).result as {
      address: string;
      url: string;
    };
    assert.match(created.address, /^0x[0-9a-f]{40}$/);
    assert.match(created.url, /^inmemory:\/\//);
    const key = randomBytes(32);
    const imported = (await call('plugin@account_importRawKey', [key.toString('hex'), { passphrase: 'pw' }]))
      .result as { address: string };
    assert.equal(imported.address, privateKeyToAddress(key));
    assert.deepEqual((await call('plugin@account_importRawKey', ['aaaaaa', {}])).error, {
      code: -32000,
      message: 'invalid length, need 256 bits',
    });
    // geth exposes only the creating methods over JSON-RPC.
    assert.equal((await call('plugin@account_sign', [imported.address, '0x00'])).error?.code, -32601);
    const accounts = new AccountGateway(() => manager.client('account', AccountService));
    const hash = randomBytes(32);
    const sig = await accounts.unlockAndSign(imported.address, hash, 'pw');
    assert.equal(sig.length, 65);
    assert.ok(sig[64] === 0 || sig[64] === 1, 'V is 0 or 1');
    assert.equal(recoverAddress(hash, sig), imported.address);
  });

  it('reloads a plugin after its config changed', async () => {
    writeFileSync(helloConfig, '{"language":"es"}');
    assert.equal((await call('admin_reloadPlugin', ['helloworld'])).result, true);
    assert.equal((await call('plugin@helloworld_greeting', ['Quorum'])).result, 'Hola Quorum!');
    writeFileSync(helloConfig, '{"language":"en"}');
    assert.equal((await call('admin_reloadPlugin', ['HelloWorld'])).result, true);
    assert.deepEqual((await call('admin_reloadPlugin', ['qlighttokenmanager'])).error, {
      code: -32000,
      message: 'no such plugin provider: qlighttokenmanager',
    });
    const info = (await call('admin_nodeInfo', [])).result as { plugins: Record<string, { name?: string }> };
    assert.equal(info.plugins.helloworld?.name, 'ts-helloworld');
    assert.equal(info.plugins.security?.name, 'ts-security');
  });

  it('answers malformed requests as JSON-RPC says and keeps serving', async () => {
    assert.deepEqual((await post('{not json', 'admin-token')).json, {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'parse error' },
    });
    assert.deepEqual((await call('plugin@helloworld_greeting', [42])).error, {
      code: -32602,
      message: 'invalid argument 0: json: cannot unmarshal number into Go value of type string',
    });
    assert.deepEqual((await call('plugin@helloworld_greeting', ['a', 'b'])).error, {
      code: -32602,
      message: 'too many arguments, want at most 1',
    });
    assert.deepEqual((await call('eth_blockNumber', [])).error, {
      code: -32601,
      message: 'the method eth_blockNumber does not exist/is not available',
    });
    const big = await post(Buffer.alloc(6 * 1024 * 1024, 0x20), 'admin-token');
    assert.equal(big.status, 413);
    const batch = await post(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'plugin@helloworld_greeting', params: ['A'] },
        { jsonrpc: '2.0', method: 'plugin@helloworld_greeting', params: ['notification'] },
        { jsonrpc: '2.0', id: 3, method: 'nope_nope' },
        42,
      ]),
      'admin-token',
    );
    assert.deepEqual(batch.json, [
      { jsonrpc: '2.0', id: 1, result: 'Hello A!' },
      {
        jsonrpc: '2.0',
        id: 3,
        error: { code: -32601, message: 'the method nope_nope does not exist/is not available' },
      },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request' } },
    ]);
    assert.deepEqual((await post('[]', 'admin-token')).json, {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'empty batch' },
    });
    assert.equal((await call('plugin@helloworld_greeting', ['still here'])).result, 'Hello still here!');
  });

  it('a plugin killed with SIGKILL is restarted by itself; nodeInfo shows it; reload still works', async () => {
    type Info = {
      plugins: { helloworld: { pid: number; state: string; restarts: number; lastExit: unknown } };
    };
    const before = ((await call('admin_nodeInfo', [])).result as Info).plugins.helloworld;
    assert.equal(before.state, 'ready');
    process.kill(before.pid, 'SIGKILL');
    await waitUntil(() => !isAlive(before.pid), 5000, 'the plugin to die');
    // Made while the plugin is down or restarting: it waits for the new process.
    assert.equal((await call('plugin@helloworld_greeting', ['again'])).result, 'Hello again!');
    const after = ((await call('admin_nodeInfo', [])).result as Info).plugins.helloworld;
    assert.equal(after.state, 'ready');
    assert.notEqual(after.pid, before.pid);
    assert.equal(after.restarts, before.restarts + 1);
    assert.deepEqual(
      { ...(after.lastExit as object), at: undefined },
      { at: undefined, code: null, signal: 'SIGKILL', reason: 'killed by SIGKILL' },
    );
    assert.equal((await call('admin_reloadPlugin', ['helloworld'])).result, true);
    assert.equal((await call('plugin@helloworld_greeting', ['back'])).result, 'Hello back!');
  });
});
