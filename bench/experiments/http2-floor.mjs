// Experiment (not part of `npm run bench`): the floor of a unary gRPC call from
// Node 20 without grpc-js: node:http2 over the same mTLS unix socket, gRPC
// framing by hand, pre-encoded request. Compared in blocks with grpc-js
// (pre-encoded bytes too) on the plugin our PluginClient started.
//   node bench/experiments/http2-floor.mjs <plugin> [args]
import http2 from 'node:http2';
import tls from 'node:tls';

import { create, toBinary } from '@bufbuild/protobuf';
import { Metadata } from '@grpc/grpc-js';
import { PluginClient } from '@qplugin/go-plugin/host';
import { derToPem } from '@qplugin/go-plugin/internal';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

const [command, ...args] = process.argv.slice(2);
const client = new PluginClient({ command, args, handshake: QUORUM_HANDSHAKE });
await client.start();
await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
const rc = client.reattachConfig();
const method = PluginGreeting.method.greeting;
const path = `/${PluginGreeting.typeName}/${method.name}`;
const msg = Buffer.from(toBinary(method.input, create(method.input, { msg: 'Quorum' })));
const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), msg]);

const session = http2.connect('https://localhost', {
  createConnection: () =>
    tls.connect({
      path: rc.addr.address,
      ca: derToPem(Buffer.from(rc.tls.pluginCertDer)),
      cert: rc.tls.hostCertPem,
      key: rc.tls.hostKeyPem,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
    }),
});
await new Promise((r) => session.once('connect', r));

function h2call() {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': '30S',
    });
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('trailers', (t) =>
      t['grpc-status'] === '0' ? resolve(Buffer.concat(chunks)) : reject(new Error(t['grpc-message'])),
    );
    req.on('error', reject);
    req.end(framed);
  });
}
const conn = client.connection.conn;
const id = (b) => b;
const grpc = () =>
  new Promise((resolve, reject) =>
    conn.makeUnaryRequest(path, id, id, msg, new Metadata(), { deadline: Date.now() + 30_000 }, (e, v) =>
      e ? reject(e) : resolve(v),
    ),
  );

const variants = { 'grpc-js': grpc, 'node:http2': h2call };
const us = { 'grpc-js': [], 'node:http2': [] };
for (let block = 0; block < 12; block++) {
  for (const [name, fn] of Object.entries(variants)) {
    for (let i = 0; i < 1000; i++) {
      const t = performance.now();
      await fn();
      if (block >= 2) us[name].push((performance.now() - t) * 1000);
    }
  }
}
const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.max(0, Math.round(p * a.length) - 1)];
for (const [name, a] of Object.entries(us)) {
  console.log(`${name.padEnd(11)} p50 ${pct(a, 0.5).toFixed(0)} µs  p99 ${pct(a, 0.99).toFixed(0)} µs`);
}
session.close();
await client.kill();
process.exit(0);
