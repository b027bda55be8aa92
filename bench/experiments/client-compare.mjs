// Experiment (not part of `npm run bench`): our typed client (PluginClient →
// own gRPC on node:http2) against the floor (hand-written http2 call, same
// socket) and grpc-js, in blocks, on one plugin. Sequential p50/p99 and calls/s
// at 1/16/64 in flight.
//   node bench/experiments/client-compare.mjs <plugin> [args]
import http2 from 'node:http2';
import tls from 'node:tls';

import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
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
const tlsOpts = {
  ca: derToPem(Buffer.from(rc.tls.pluginCertDer)),
  cert: rc.tls.hostCertPem,
  key: rc.tls.hostKeyPem,
  servername: 'localhost',
  ALPNProtocols: ['h2'],
};
const session = http2.connect('https://localhost', {
  createConnection: () => tls.connect({ path: rc.addr.address, ...tlsOpts }),
});
await new Promise((r) => session.once('connect', r));
function floor() {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    req.on('data', () => {});
    req.on('trailers', (t) =>
      t['grpc-status'] === '0' ? resolve() : reject(new Error(String(t['grpc-message']))),
    );
    req.on('error', reject);
    req.end(framed);
  });
}
const typed = client.client(PluginGreeting);
const ours = () => typed.greeting({ msg: 'Quorum' });
const gc = new grpc.Client(
  `unix://${rc.addr.address}`,
  grpc.credentials.createSsl(Buffer.from(tlsOpts.ca), Buffer.from(tlsOpts.key), Buffer.from(tlsOpts.cert)),
  {},
);
const grpcjs = () =>
  new Promise((resolve, reject) =>
    gc.makeUnaryRequest(
      path,
      (b) => b,
      (b) => b,
      msg,
      new grpc.Metadata(),
      {},
      (e, v) => (e ? reject(e) : resolve(v)),
    ),
  );

async function seq(fn, n) {
  const t = [];
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    await fn();
    t.push(Number(process.hrtime.bigint() - s) / 1000);
  }
  t.sort((a, b) => a - b);
  return { p50: Math.round(t[n >> 1]), p99: Math.round(t[Math.floor(n * 0.99)]) };
}
async function rate(fn, inflight, ms) {
  let calls = 0;
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (Date.now() < end) {
        await fn();
        calls++;
      }
    }),
  );
  return Math.round((calls * 1000) / ms);
}
const impls = { floor, ours, grpcjs };
for (const f of Object.values(impls)) for (let i = 0; i < 500; i++) await f();
for (let round = 0; round < 3; round++) {
  for (const [name, f] of Object.entries(impls)) {
    const s = await seq(f, 3000);
    console.log(
      name.padEnd(7),
      `p50 ${s.p50}µs p99 ${s.p99}µs`,
      'c1',
      await rate(f, 1, 1000),
      'c16',
      await rate(f, 16, 1000),
      'c64',
      await rate(f, 64, 1000),
    );
  }
}
gc.close();
session.close();
await client.kill();
