// Experiment (not part of `npm run bench`): how much of the TS host's per-call
// garbage survives a scavenge (V8 promotes what survives), layer by layer, on
// one Go plugin: `a` bare h2 streams with a do-nothing handler, `h2call` our
// H2Call awaited, `h2callsync` H2Call chained by callbacks, `unary` the h2
// unaryCall, `channel` a typed client on its own channel, `client` the
// PluginClient's typed client (DL=1: with a 30 s deadline). SAMPLE=1 prints
// the allocation sites of what survived (sampling heap profiler; ALLOC=1 too:
// of everything allocated). Read the
// promoted bytes per scavenge from --trace-gc-nvp (bench/findings.md §26):
//   node --max-semi-space-size=4 --trace-gc-nvp bench/experiments/h2-promotion-bisect.mjs unary \
//     | grep 'gc=s' | grep -o ' promoted=[0-9]*'
import { connect } from 'node:tls';
import { createClient, dialChannel } from '@qplugin/go-plugin/internal';
import { PluginGreeting } from '@qplugin/quorum/plugin';

import { startWithTls } from './raw-access.mjs';
const dist = (f) => new URL(`../../packages/go-plugin/dist/src/protocol/${f}`, import.meta.url).href;
const { H2Connection } = await import(dist('h2/connection.js'));
const { H2Call } = await import(dist('h2/call.js'));
const { UnaryMethod } = await import(dist('h2/request-head.js'));
const { unaryCall } = await import(dist('h2/unary.js'));
const { encodeFrame } = await import(dist('grpc/framing.js'));
const mode = process.argv[2];
const { client, rc, tls } = await startWithTls('interop/go/bin/v1.8.0/plugin');
const socket = connect({ path: rc.addr.address, ...tls });
await new Promise((r) => socket.once('secureConnect', r));
const conn = new H2Connection(socket);
const method = new UnaryMethod('/proto.PluginGreeting/Greeting', { secure: true });
const body = encodeFrame(Buffer.from([0x0a, 6, ...Buffer.from('Quorum')]));
const N = 30000;
const { Session } = await import('node:inspector/promises');
const ss = new Session();
ss.connect();
if (process.env.SAMPLE) {
  await ss.post('HeapProfiler.enable');
  await ss.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    // ALLOC=1: everything allocated, not only what survived a scavenge
    includeObjectsCollectedByMinorGC: !!process.env.ALLOC,
  });
}
if (mode === 'h2call') {
  for (let i = 0; i < N; i++)
    await new Promise((resolve) =>
      new H2Call({ onCallEnd: (st, msg) => resolve(msg) }).start(conn, method, body),
    );
} else if (mode === 'h2callsync') {
  // no Promise: continue from the callback
  await new Promise((done) => {
    let i = 0;
    const next = () => {
      if (++i >= N) return done();
      new H2Call(listener).start(conn, method, body);
    };
    const listener = { onCallEnd: next };
    new H2Call(listener).start(conn, method, body);
  });
} else if (mode === 'channel') {
  const ch = dialChannel({ network: rc.addr.network, address: rc.addr.address }, tls, { transport: 'h2' });
  const g = createClient(PluginGreeting, ch);
  for (let i = 0; i < N; i++)
    await g.greeting({ msg: 'Quorum' }, process.env.DL ? { deadline: 30000 } : undefined);
  ch.close();
} else if (mode === 'client') {
  const g = client.client(PluginGreeting);
  for (let i = 0; i < N; i++)
    await g.greeting({ msg: 'Quorum' }, process.env.DL ? { deadline: 30000 } : undefined);
} else if (mode === 'unary') {
  const raw = Buffer.from([0x0a, 6, ...Buffer.from('Quorum')]);
  for (let i = 0; i < N; i++) await unaryCall(conn, method, raw, {});
} else
  for (let i = 0; i < N; i++) {
    await new Promise((resolve, reject) => {
      const h = {
        onHeaders(fields, endStream) {
          if (endStream) resolve();
        },
        onData() {},
        onError(e) {
          reject(e);
        },
      };
      conn.request(method.block, body, h);
    });
  }
if (process.env.SAMPLE) {
  const { profile } = await ss.post('HeapProfiler.stopSampling');
  const agg = new Map();
  const walk = (n, stack) => {
    const f = n.callFrame;
    const here = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const st = [here, ...stack].slice(0, Number(process.env.DEPTH ?? 3));
    if (n.selfSize) agg.set(st.join(' < '), (agg.get(st.join(' < ')) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, st);
  };
  walk(profile.head, []);
  const total = [...agg.values()].reduce((a, b) => a + b, 0);
  console.log(`sampled ${(total / 1024).toFixed(0)} KB, ${(total / N).toFixed(0)} B per call`);
  for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 14)))
    console.log((v / 1024).toFixed(0).padStart(7), 'KB', k);
}
socket.destroy();
await client.kill();
