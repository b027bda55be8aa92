// Spike measurement (bench/findings.md section 13): unary Greeting calls to
// one Go plugin (go-plugin v1.8.0 interop plugin, mTLS over a unix socket,
// started by our PluginClient), by
//   typed     our PluginClient typed client (client.client(PluginGreeting))
//   http2     a minimal hand-framed call on node:http2 (as http2-floor.mjs)
//   raw       client.mjs on its own tls.TLSSocket, pre-encoded request bytes
//   raw+pb    the same with protobuf encode/decode per call (what a typed client on it would do)
// interleaved in blocks (order rotated each round, round 0 is warm-up and
// dropped): per block, sequential latency, then closed loops at 1, 16 and 64
// calls in flight; CPU per call from process.cpuUsage. Peak RSS of a process
// running all variants is shared, so `--only <variant>` runs one variant alone
// (use it per variant, in separate processes, for RSS). The Go host harness
// (gobench) runs on the same plugin binary before and after the blocks.
//   bash interop/go/build.sh v1.8.0        (and bench/dist/cache/gobench from `npm run bench`'s prepare)
//   node bench/experiments/raw-h2/bench.mjs [--rounds 6] [--only raw] [--gobench path] [--no-go] [--json out.json]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import tls from 'node:tls';
import { parseArgs } from 'node:util';

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { PluginClient } from '@qplugin/go-plugin/host';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { Method, connectTls } from './client.mjs';
import { tlsOptionsOf } from './plugin-tls.mjs';

const here = (p) => new URL(p, import.meta.url).pathname;
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    calls: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '1000' },
    only: { type: 'string' },
    plugin: { type: 'string', default: here('../../../interop/go/bin/v1.8.0/plugin') },
    gobench: { type: 'string', default: '/work/main/bench/dist/cache/gobench' },
    'no-go': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const ROUNDS = Number(opt.rounds);
const CALLS = Number(opt.calls);
const DURATION = Number(opt.duration);
const CONCURRENCY = [1, 16, 64];
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Runs gobench; its own CPU (not the plugin's) is sampled from /proc until it exits. */
function gobench(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(opt.gobench, [...args, '--', opt.plugin], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let cpuTicks = 0;
    const sample = setInterval(() => {
      try {
        const f = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        cpuTicks = Number(f[11]) + Number(f[12]); // utime + stime
      } catch {
        // exited between two samples: the last one stands
      }
    }, 20);
    p.stdout.on('data', (c) => (out += c));
    p.on('error', reject);
    p.on('close', (code) => {
      clearInterval(sample);
      if (code !== 0) return reject(new Error(`gobench ${args[0]} exited ${code}`));
      resolve({ ...JSON.parse(out), cpu_ms_sampled: cpuTicks * 10 });
    });
  });
}
async function goRuns(label) {
  if (opt['no-go']) return undefined;
  const lat = await gobench(['latency', '-n', '10000', '-warmup', '1000']);
  const thr = await gobench(['throughput', '-c', CONCURRENCY.join(','), '-duration', '2s']);
  const r = {
    label,
    load: load(),
    p50: lat.p50_us,
    p99: lat.p99_us,
    cpuPerCallSeqUs: (lat.cpu_ms_sampled * 1000) / 11000,
    rssKb: lat.host_maxrss_kb,
    rates: Object.fromEntries(thr.rates.map((x) => [x.concurrency, x.per_sec])),
  };
  console.log(`go ${label}: ${JSON.stringify(r)}`);
  return r;
}

const goBefore = await goRuns('before');

const client = new PluginClient({ command: opt.plugin, args: [], handshake: QUORUM_HANDSHAKE });
await client.start();
await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
const rc = client.reattachConfig();
const tlsOpts = tlsOptionsOf(rc);
const method = PluginGreeting.method.greeting;
const path = `/${PluginGreeting.typeName}/${method.name}`;
const msg = Buffer.from(toBinary(method.input, create(method.input, { msg: 'Quorum' })));
const want = 'Hello Quorum!';

// (a) typed client.
const stub = client.client(PluginGreeting);
const typed = async () => {
  const r = await stub.greeting({ msg: 'Quorum' });
  if (r.msg !== want) throw new Error(`typed: ${r.msg}`);
};

// Stacks not measured (--only) are not set up, so a lone variant's RSS is its own.
const wanted = (n) => !opt.only || opt.only === n || (opt.only === 'raw+pb' && n === 'raw');

// (b) minimal node:http2.
const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), msg]);
let session;
if (wanted('http2')) {
  session = http2.connect('https://localhost', {
    createConnection: () => tls.connect({ ...tlsOpts, ALPNProtocols: ['h2'] }),
  });
  await new Promise((r) => session.once('connect', r));
}
const h2 = () =>
  new Promise((resolve, reject) => {
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

// (c) raw client, (d) raw client + protobuf per call.
const conn = wanted('raw') ? await connectTls(tlsOpts) : undefined;
const m = new Method(path);
const raw = () => conn.unary(m, msg, { timeoutMs: 30_000 });
const rawPb = async () => {
  const req = Buffer.from(toBinary(method.input, create(method.input, { msg: 'Quorum' })));
  const r = fromBinary(method.output, await conn.unary(m, req, { timeoutMs: 30_000 }));
  if (r.msg !== want) throw new Error(`raw+pb: ${r.msg}`);
};

// Sanity: every stack answers correctly before measuring.
const reply = (b, prefixed) => fromBinary(method.output, b.subarray(prefixed ? 5 : 0)).msg;
if (wanted('http2') && reply(await h2(), true) !== want) throw new Error('http2: wrong reply');
if (wanted('raw') && reply(await raw(), false) !== want) throw new Error('raw: wrong reply');
if (wanted('raw')) await rawPb();
if (wanted('typed')) await typed();
const rssSetupMb = process.memoryUsage().rss / 2 ** 20;

let variants = { typed, http2: h2, raw, 'raw+pb': rawPb };
if (opt.only) variants = { [opt.only]: variants[opt.only] };
const names = Object.keys(variants);

const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.max(0, Math.round(p * a.length) - 1)];
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function latencyBlock(fn) {
  const us = new Float64Array(CALLS);
  const c0 = cpuUs();
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await fn();
    us[i] = (performance.now() - t) * 1000;
  }
  return { p50: pct(us, 0.5), p99: pct(us, 0.99), cpuPerCall: (cpuUs() - c0) / CALLS };
}
async function loopBlock(fn, c) {
  let calls = 0;
  const stopAt = performance.now() + DURATION;
  const c0 = cpuUs();
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() < stopAt) {
      await fn();
      calls++;
    }
  };
  await Promise.all(Array.from({ length: c }, worker));
  const s = (performance.now() - t0) / 1000;
  return { rate: calls / s, cpuPerCall: (cpuUs() - c0) / calls };
}

const results = Object.fromEntries(names.map((n) => [n, []]));
const loads = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]);
  loads.push(load());
  for (const n of order) {
    const fn = variants[n];
    const r = { lat: await latencyBlock(fn) };
    for (const c of CONCURRENCY) r[c] = await loopBlock(fn, c);
    if (round > 0) results[n].push(r);
  }
  console.log(`round ${round}${round === 0 ? ' (warm-up, dropped)' : ''} done, load ${load()}`);
}

const goAfter = await goRuns('after');
const range = (xs, digits = 0) => {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)];
  const f = (x) => x.toFixed(digits);
  return `${f(med)} (${f(s[0])}–${f(s[s.length - 1])})`;
};
console.log(
  `\nNode ${process.version}, ${ROUNDS - 1} rounds of ${CALLS} sequential calls + ${DURATION} ms loops; load ${loads.join(' | ')}`,
);
console.log('medians (min–max over rounds)');
for (const n of names) {
  const rs = results[n];
  console.log(
    `${n.padEnd(7)} p50 ${range(rs.map((r) => r.lat.p50))} µs  p99 ${range(rs.map((r) => r.lat.p99))} µs  CPU/call seq ${range(rs.map((r) => r.lat.cpuPerCall))} µs`,
  );
  console.log(
    `        calls/s ${CONCURRENCY.map((c) => `c${c} ${range(rs.map((r) => r[c].rate))}`).join('  ')}`,
  );
  console.log(
    `        CPU/call ${CONCURRENCY.map((c) => `c${c} ${range(rs.map((r) => r[c].cpuPerCall))}`).join('  ')} µs`,
  );
}
const maxRssMb = process.resourceUsage().maxRSS / 1024;
console.log(
  `RSS after setup ${rssSetupMb.toFixed(0)} MB, peak RSS of this process ${maxRssMb.toFixed(0)} MB`,
);
if (opt.json) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    opt.json,
    JSON.stringify(
      { node: process.version, loads, results, goBefore, goAfter, rssSetupMb, maxRssMb },
      null,
      1,
    ),
  );
}
session?.close();
conn?.close();
await client.kill();
process.exit(0);
