/**
 * The package loads node:http through require, so a process that imports it
 * does not load undici for node:http's lazy WebSocket getter (Node 22/24:
 * ~50 ms and 14 MB in a bare process). Fresh processes; Node lists the
 * built-in modules it has loaded in `process.moduleLoadList`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Node's built-in modules loaded in a fresh process after `code` ran. */
function builtinsLoadedBy(code: string): string[] {
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `${code}\nprocess.stdout.write(JSON.stringify(process.moduleLoadList));`],
    { cwd: PACKAGE_DIR, encoding: 'utf8' },
  );
  return JSON.parse(out) as string[];
}

const undici = (list: string[]) => list.filter((m) => /undici/.test(m));

describe('node:http without undici', () => {
  it('importing the package root (gateway, metrics server, Plugin Central client) loads node:http and not undici', () => {
    const list = builtinsLoadedBy(`await import('@qplugin/quorum');`);
    assert.ok(list.includes('NativeModule http'), 'node:http is loaded');
    assert.deepEqual(undici(list), []);
  });

  it('the JSON-RPC gateway answers a request without it', () => {
    const list = builtinsLoadedBy(`
      const { JsonRpcGateway } = await import('@qplugin/quorum');
      const { createRequire } = await import('node:module');
      const http = createRequire(import.meta.url)('node:http');
      const gateway = new JsonRpcGateway({
        apis: [{ namespace: 'test', methods: { ping: async () => 'pong' } }],
        enabled: ['test'],
        port: 0,
      });
      const url = await gateway.start();
      const answer = await new Promise((resolve, reject) => {
        const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d)).on('end', () => resolve(body));
        });
        req.on('error', reject).end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'test_ping', params: [] }));
      });
      await gateway.stop();
      if (JSON.parse(answer).result !== 'pong') throw new Error('unexpected answer ' + answer);
    `);
    assert.deepEqual(undici(list), []);
  });

  it(
    'an ES import of node:http does load it (the check can fail)',
    { skip: NODE_MAJOR < 22 && 'Node 20 has no lazy undici getters on node:http' },
    () => {
      assert.notDeepEqual(undici(builtinsLoadedBy(`await import('node:http');`)), []);
    },
  );
});
