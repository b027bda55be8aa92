// Correctness checks of the raw HTTP/2 gRPC client (client.mjs) against a
// real grpc-go server: the interop plugin (go-plugin v1.8.0 by default),
// started by our PluginClient. Prints one line per check and exits 1 on a
// failure.
//   bash interop/go/build.sh v1.8.0
//   node bench/experiments/raw-h2/check.mjs [interop/go/bin/v1.8.0/plugin]
//   node bench/experiments/raw-h2/check.mjs node interop/ts/dist/src/fixtures/interop-plugin.js   (the TS plugin)
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { PluginClient } from '@qplugin/go-plugin/host';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { Code, Method, RpcError, connectTls } from './client.mjs';
import { tlsOptionsOf } from './plugin-tls.mjs';

const [plugin = new URL('../../../interop/go/bin/v1.8.0/plugin', import.meta.url).pathname, ...args] =
  process.argv.slice(2);

// Just enough protobuf for qplugin.interop.Probe (field number -> value).
function pb(fields) {
  const out = [];
  const varint = (v) => {
    v = BigInt(v);
    do {
      let b = Number(v & 127n);
      v >>= 7n;
      if (v > 0n) b |= 128;
      out.push(b);
    } while (v > 0n);
  };
  for (const [no, v] of fields) {
    if (typeof v === 'number' || typeof v === 'boolean') {
      varint((no << 3) | 0);
      varint(Number(v));
    } else {
      const bytes = Buffer.isBuffer(v) ? v : Buffer.from(v);
      varint((no << 3) | 2);
      varint(bytes.length);
      for (const b of bytes) out.push(b);
    }
  }
  return Buffer.from(out);
}
function unpb(buf) {
  const fields = {};
  let p = 0;
  const varint = () => {
    let v = 0n;
    let s = 0n;
    for (;;) {
      const b = buf[p++];
      v |= BigInt(b & 127) << s;
      s += 7n;
      if (!(b & 128)) return v;
    }
  };
  while (p < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    let v;
    if ((tag & 7) === 0) v = varint();
    else {
      const n = Number(varint());
      v = buf.subarray(p, p + n);
      p += n;
    }
    (fields[no] ??= []).push(v);
  }
  return fields;
}

const client = new PluginClient({ command: plugin, args, handshake: QUORUM_HANDSHAKE });
await client.start();
await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
const rc = client.reattachConfig();
const conn = await connectTls(tlsOptionsOf(rc));

const greeting = PluginGreeting.method.greeting;
const greet = new Method(`/${PluginGreeting.typeName}/${greeting.name}`);
const unary = new Method('/qplugin.interop.Probe/Unary');
const observe = new Method('/qplugin.interop.Probe/Observe');
let failed = 0;
async function check(name, fn) {
  const t = performance.now();
  try {
    const note = await fn();
    console.log(`ok    ${name} (${(performance.now() - t).toFixed(0)} ms)${note ? `: ${note}` : ''}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}: ${err?.stack ?? err}`);
  }
}
function assert(cond, what) {
  if (!cond) throw new Error(what);
}
async function expectError(p, code) {
  try {
    await p;
  } catch (err) {
    assert(err instanceof RpcError, `not an RpcError: ${err}`);
    assert(err.code === code, `code ${err.code} (${err.details}), want ${code}`);
    return err;
  }
  throw new Error(`succeeded, want code ${code}`);
}
const greetMsg = (s) => Buffer.from(toBinary(greeting.input, create(greeting.input, { msg: s })));
const observeUntilEnded = async (tag) =>
  unpb(
    await conn.unary(
      observe,
      pb([
        [1, tag],
        [2, 'ended'],
      ]),
      { timeoutMs: 5000 },
    ),
  );

await check('greeting OK', async () => {
  const r = fromBinary(greeting.output, await conn.unary(greet, greetMsg('Quorum'), { timeoutMs: 5000 }));
  assert(r.msg.includes('Quorum'), `reply ${r.msg}`);
  return JSON.stringify(r.msg);
});
await check('unknown method -> UNIMPLEMENTED (trailers-only)', async () => {
  const e = await expectError(
    conn.unary(new Method('/qplugin.interop.Probe/Nope'), Buffer.alloc(0)),
    Code.UNIMPLEMENTED,
  );
  assert(
    e.metadata[':status'] === '200' && e.metadata['grpc-status'] === '12',
    'not a trailers-only response',
  );
  return e.details;
});
await check('every status code 1..16 with a percent-encoded message, trailer and details', async () => {
  for (let code = 1; code <= 16; code++) {
    const message = `status ${code}: ünïcode % 100\n`;
    const e = await expectError(
      conn.unary(
        unary,
        pb([
          [2, code],
          [3, message],
          [4, 'why'],
          [5, 'tv1'],
          [5, 'tv2'],
        ]),
      ),
      code,
    );
    assert(e.details === message, `message ${JSON.stringify(e.details)}`);
    const t = e.metadata['x-probe-trailer'];
    assert(Array.isArray(t) && t[0] === 'tv1' && t[1] === 'tv2', `trailer ${t}`);
    const details = e.metadata['grpc-status-details-bin'];
    assert(typeof details === 'string' && Buffer.from(details, 'base64').includes('why'), 'details missing');
  }
});
await check('request metadata reaches the server', async () => {
  const r = unpb(
    await conn.unary(unary, pb([[9, 'x-echo']]), {
      metadata: [
        ['x-echo', 'v1'],
        ['x-echo', 'v2'],
      ],
    }),
  );
  const got = (r[3] ?? []).map((b) => b.toString());
  assert(got.join(',') === 'v1,v2', `echoed ${got}`);
});
await check('1 MiB response', async () => {
  const r = unpb(await conn.unary(unary, pb([[7, 1 << 20]])));
  assert(r[2][0].length === 1 << 20, `payload ${r[2]?.[0]?.length}`);
});
await check('4 MiB - 16 response (under the 4 MiB receive limit)', async () => {
  const r = unpb(await conn.unary(unary, pb([[7, 4 * 1024 * 1024 - 16]])));
  assert(r[2][0].length === 4 * 1024 * 1024 - 16, 'payload size');
});
await check('5 MiB response -> RESOURCE_EXHAUSTED, connection still usable', async () => {
  await expectError(conn.unary(unary, pb([[7, 5 << 20]])), Code.RESOURCE_EXHAUSTED);
  await conn.unary(greet, greetMsg('after'));
});
await check('1 MiB and 3 MiB requests (send-side flow control)', async () => {
  for (const n of [1 << 20, 3 << 20]) {
    const r = unpb(
      await conn.unary(
        unary,
        pb([
          [10, Buffer.alloc(n, 7)],
          [7, 3],
        ]),
      ),
    );
    assert(r[2][0].length === 3, 'reply');
  }
  return `send window now ${conn.connSendWindow}`;
});
await check("5 MiB request -> server's RESOURCE_EXHAUSTED", async () => {
  const e = await expectError(
    conn.unary(unary, pb([[10, Buffer.alloc(5 << 20, 7)]])),
    Code.RESOURCE_EXHAUSTED,
  );
  await conn.unary(greet, greetMsg('after'));
  return e.details;
});
await check(
  'deadline: DEADLINE_EXCEEDED here, the server got grpc-timeout and its handler ended',
  async () => {
    await expectError(
      conn.unary(
        unary,
        pb([
          [1, 'dl'],
          [8, true],
        ]),
        { timeoutMs: 300 },
      ),
      Code.DEADLINE_EXCEEDED,
    );
    const o = await observeUntilEnded('dl');
    const ms = Number(o[3]?.[0] ?? -1n);
    // Our timer and the server's race: the server's context ends by its own
    // deadline or by our RST_STREAM CANCEL, whichever comes first.
    const ended = o[2][0].toString();
    assert(ended === 'deadline' || ended === 'canceled', `server ended: ${ended}`);
    assert(ms > 0 && ms <= 300, `server deadline ${ms} ms`);
    return `server saw ${ms} ms, ended by ${ended}`;
  },
);
await check('AbortSignal: CANCELLED here, the server saw the cancel', async () => {
  const ac = new AbortController();
  const p = conn.unary(
    unary,
    pb([
      [1, 'cx'],
      [8, true],
    ]),
    { signal: ac.signal },
  );
  await conn.unary(
    observe,
    pb([
      [1, 'cx'],
      [2, 'started'],
    ]),
    { timeoutMs: 5000 },
  );
  ac.abort();
  await expectError(p, Code.CANCELLED);
  const o = await observeUntilEnded('cx');
  assert(o[2][0].toString() === 'canceled', `server ended: ${o[2][0]}`);
});
await check('1,000 concurrent calls, each answered with its own reply', async () => {
  const replies = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => conn.unary(greet, greetMsg(`n${i}`), { timeoutMs: 30_000 })),
  );
  replies.forEach((r, i) => {
    const m = fromBinary(greeting.output, r).msg;
    assert(m.includes(`n${i}`) && !m.includes(`n${i}0`), `call ${i} got ${m}`);
  });
  return `streams open after: ${conn.streams.size}`;
});
await check('1,000 concurrent 64 KiB responses (receive windows replenished)', async () => {
  const rs = await Promise.all(Array.from({ length: 1000 }, () => conn.unary(unary, pb([[7, 65536]]))));
  assert(
    rs.every((r) => unpb(r)[2][0].length === 65536),
    'sizes',
  );
  return `connection receive window ${conn.connRecvWindow}`;
});
await check('plugin killed with a call in flight -> UNAVAILABLE, later calls UNAVAILABLE', async () => {
  const held = expectError(conn.unary(unary, pb([[8, true]])), Code.UNAVAILABLE);
  await client.kill();
  const e = await held;
  await expectError(conn.unary(greet, greetMsg('x')), Code.UNAVAILABLE);
  return e.details;
});
const names = [
  'DATA',
  'HEADERS',
  'PRIORITY',
  'RST_STREAM',
  'SETTINGS',
  'PUSH_PROMISE',
  'PING',
  'GOAWAY',
  'WINDOW_UPDATE',
  'CONTINUATION',
];
console.log(`frames received: ${names.map((n, i) => `${n} ${conn.framesIn[i]}`).join(', ')}`);
console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
