/**
 * Scenario 3c's process: three gRPC client stacks on one plugin and one
 * socket path, measured in blocks that rotate order — our typed client
 * (PluginClient on its own HTTP/2 client, protocol/h2), the floor (a hand-written unary call on
 * node:http2: framing and trailers only, pre-encoded request), and grpc-js
 * (the stack qplugin used before), all with the same mTLS material.
 *
 *   node ts-clients.js [-n N] [-duration ms] -- <plugin> [args]
 */
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';

import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { PluginClient } from '@qplugin/go-plugin/host';
import { derToPem } from '@qplugin/go-plugin/internal';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { percentile } from './stats.js';

type Call = () => Promise<unknown>;

function args(argv: string[]): { n: number; durationMs: number; cmd: string[] } {
  const o = { n: 3000, durationMs: 1000, cmd: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      o.cmd = argv.slice(i + 1);
      break;
    }
    if (a === '-n') o.n = Number(argv[++i]);
    else if (a === '-duration') o.durationMs = Number(argv[++i]);
    else throw new Error(`unknown flag ${a}`);
  }
  if (o.cmd.length === 0) throw new Error('missing plugin command after --');
  return o;
}

async function latency(call: Call, n: number): Promise<{ p50: number; p99: number }> {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await call();
    us.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  us.sort((a, b) => a - b);
  return { p50: percentile(us, 0.5), p99: percentile(us, 0.99) };
}

async function rate(call: Call, inflight: number, ms: number): Promise<number> {
  let calls = 0;
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (Date.now() < end) {
        await call();
        calls++;
      }
    }),
  );
  return (calls * 1000) / ms;
}

const o = args(process.argv.slice(2));
const client = new PluginClient({ command: o.cmd[0]!, args: o.cmd.slice(1), handshake: QUORUM_HANDSHAKE });
await client.start();
await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
const rc = client.reattachConfig();
if (!rc.tls || rc.addr.network !== 'unix') throw new Error('expects AutoMTLS over a unix socket');
const method = PluginGreeting.method.greeting;
const path = `/${PluginGreeting.typeName}/${method.name}`;
const request = Buffer.from(toBinary(method.input, create(method.input, { msg: 'Quorum' })));
const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, request.length]), request]);
const tls = {
  ca: derToPem(rc.tls.pluginCertDer),
  cert: rc.tls.hostCertPem,
  key: rc.tls.hostKeyPem,
  servername: 'localhost',
  ALPNProtocols: ['h2'],
};

const session = http2Connect('https://localhost', {
  createConnection: () => tlsConnect({ path: rc.addr.address, ...tls }),
});
await new Promise((resolve) => session.once('connect', resolve));
const floor: Call = () =>
  new Promise<void>((resolve, reject) => {
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

const typed = client.client(PluginGreeting);
const ours: Call = () => typed.greeting({ msg: 'Quorum' });

const grpcClient = new grpc.Client(
  `unix://${rc.addr.address}`,
  grpc.credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert)),
  { 'grpc.enable_channelz': 0 },
);
const grpcjs: Call = () =>
  new Promise((resolve, reject) =>
    grpcClient.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      request,
      new grpc.Metadata(),
      {},
      (err, value) => (err ? reject(err) : resolve(value)),
    ),
  );

const stacks: Record<string, Call> = { ours, floor, 'grpc-js': grpcjs };
for (const call of Object.values(stacks)) for (let i = 0; i < 500; i++) await call();
const out: Record<string, Record<string, number>> = {};
const names = Object.keys(stacks);
// Rotate the order so no stack always runs first on a warming machine.
for (let r = 0; r < names.length; r++) {
  const name = names[(r + 1) % names.length]!;
  const call = stacks[name]!;
  const lat = await latency(call, o.n);
  out[name] = {
    p50_us: lat.p50,
    p99_us: lat.p99,
    c1: await rate(call, 1, o.durationMs),
    c16: await rate(call, 16, o.durationMs),
    c64: await rate(call, 64, o.durationMs),
  };
}
grpcClient.close();
session.close();
await client.kill();
process.stdout.write(JSON.stringify(out) + '\n');
