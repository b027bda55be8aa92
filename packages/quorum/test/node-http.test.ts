/**
 * The package loads node:http through require, so a process that imports it
 * does not load undici for node:http's lazy WebSocket getter (Node 22/24:
 * ~50 ms and 14 MB in a bare process). Fresh processes, their compiled
 * modules listed by the inspector.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { modulesLoadedHere } from './support/modules-here.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

const undici = (urls: string[]) => urls.filter((u) => /undici/.test(u));

describe('node:http without undici', () => {
  it('importing the package root (gateway, metrics server, Plugin Central client) loads node:http and not undici', async () => {
    const list = await modulesLoadedHere(`await import('@qplugin/quorum');`);
    assert.ok(list.includes('node:http'), 'node:http is loaded');
    assert.deepEqual(undici(list), []);
  });

  it('the JSON-RPC gateway answers a request without it', async () => {
    const list = await modulesLoadedHere(`
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
    async () => {
      assert.notDeepEqual(undici(await modulesLoadedHere(`await import('node:http');`)), []);
    },
  );
});
