// Experiment (not part of `npm run bench`): what one unary call costs at each
// layer of the TS host, against the same running plugin, interleaved in blocks:
//   typed   - our typed client (PluginClient.client(PluginGreeting)), as the bench
//   typed0  - the same with Error.stackTraceLimit = 0 (grpc-js captures a caller
//             stack with `new Error()` on every call)
//   raw     - grpc-js makeUnaryRequest with protobuf-es codecs, no guard/signal
//   bytes   - grpc-js makeUnaryRequest with pre-encoded bytes (the grpc-js floor)
//   bytesNoChannelz(0) - the same on a channel with 'grpc.enable_channelz': 0 (and stackTraceLimit 0)
// It reaches into PluginClient's private connection; fine for an experiment only.
//   node bench/experiments/host-call-layers.mjs <plugin> [args]
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Client as GrpcClient, Metadata } from '@grpc/grpc-js';
import { PluginClient } from '@qplugin/go-plugin/host';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

const [command, ...args] = process.argv.slice(2);
const client = new PluginClient({ command, args, handshake: QUORUM_HANDSHAKE });
await client.start();
await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
const conn = client.connection.conn;
// A second channel to the same plugin with channelz off (grpc-js tracks every call for channelz by default).
const { credentials, channelOptions } = client.credentials();
const target = `unix://${client.reattachConfig().addr.address}`;
const noChannelz = new GrpcClient(target, credentials, { ...channelOptions, 'grpc.enable_channelz': 0 });
const greeting = client.client(PluginGreeting);
const method = PluginGreeting.method.greeting;
const path = `/${PluginGreeting.typeName}/${method.name}`;
const encoded = Buffer.from(toBinary(method.input, create(method.input, { msg: 'Quorum' })));
const id = (b) => b;

const call = (ser, de, req, c = conn) =>
  new Promise((resolve, reject) =>
    c.makeUnaryRequest(path, ser, de, req, new Metadata(), { deadline: Date.now() + 30_000 }, (err, v) =>
      err ? reject(err) : resolve(v),
    ),
  );
const variants = {
  typed: () => greeting.greeting({ msg: 'Quorum' }, { deadline: 30_000 }),
  typed0: async () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const p = greeting.greeting({ msg: 'Quorum' }, { deadline: 30_000 });
    Error.stackTraceLimit = limit;
    return p;
  },
  raw: () =>
    call(
      (m) => Buffer.from(toBinary(method.input, create(method.input, m))),
      (b) => fromBinary(method.output, b),
      { msg: 'Quorum' },
    ),
  bytes: () => call(id, id, encoded),
  bytesNoChannelz: () => call(id, id, encoded, noChannelz),
  bytesNoChannelz0: () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const p = call(id, id, encoded, noChannelz);
    Error.stackTraceLimit = limit;
    return p;
  },
};

const us = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
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
  console.log(`${name.padEnd(17)} p50 ${pct(a, 0.5).toFixed(0)} µs  p99 ${pct(a, 0.99).toFixed(0)} µs`);
}
await client.kill();
process.exit(0);
