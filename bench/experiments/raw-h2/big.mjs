// Large messages through the raw client vs a minimal node:http2 call, same
// Go plugin (Probe/Unary of the interop plugin): a 1 MiB request (send-side
// flow control against grpc-go's windows) and a 1 MiB response, interleaved
// rounds, median ms per call.
//   node bench/experiments/raw-h2/big.mjs [plugin]
import http2 from 'node:http2';
import tls from 'node:tls';

import { PluginClient } from '@qplugin/go-plugin/host';
import { PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { Method, connectTls } from './client.mjs';
import { tlsOptionsOf } from './plugin-tls.mjs';

const plugin = process.argv[2] ?? new URL('../../../interop/go/bin/v1.8.0/plugin', import.meta.url).pathname;
const client = new PluginClient({ command: plugin, args: [], handshake: QUORUM_HANDSHAKE });
await client.start();
await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
const tlsOpts = tlsOptionsOf(client.reattachConfig());
const path = '/qplugin.interop.Probe/Unary';

// ProbeRequest { payload (10) = n bytes, reply_bytes (7) = r }
function probe(n, r) {
  const parts = [Buffer.from([0x38]), varint(r)];
  if (n) parts.push(Buffer.from([0x52]), varint(n), Buffer.alloc(n, 7));
  return Buffer.concat(parts);
}
function varint(v) {
  const out = [];
  do {
    out.push((v & 127) | (v > 127 ? 128 : 0));
    v = Math.floor(v / 128);
  } while (v > 0);
  return Buffer.from(out);
}

const session = http2.connect('https://localhost', {
  createConnection: () => tls.connect({ ...tlsOpts, ALPNProtocols: ['h2'] }),
});
await new Promise((r) => session.once('connect', r));
const h2 = (msg) =>
  new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('trailers', (t) =>
      t['grpc-status'] === '0' ? resolve(Buffer.concat(chunks)) : reject(new Error(t['grpc-message'])),
    );
    req.on('error', reject);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(msg.length, 1);
    req.end(Buffer.concat([head, msg]));
  });
const conn = await connectTls(tlsOpts);
const m = new Method(path);
const raw = (msg) => conn.unary(m, msg);

const cases = { 'request 1 MiB': probe(1 << 20, 1), 'response 1 MiB': probe(0, 1 << 20) };
const stacks = { 'node:http2': h2, raw };
const ms = {};
for (let round = 0; round < 6; round++) {
  for (const [c, msg] of Object.entries(cases)) {
    const order = round % 2 ? Object.entries(stacks).reverse() : Object.entries(stacks);
    for (const [s, fn] of order) {
      const name = `${c} ${s}`;
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        await fn(msg);
        if (round > 0) (ms[name] ??= []).push(performance.now() - t);
      }
    }
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [k, v] of Object.entries(ms)) console.log(`${k.padEnd(28)} median ${med(v).toFixed(2)} ms`);
session.close();
conn.close();
await client.kill();
process.exit(0);
