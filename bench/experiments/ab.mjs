// Experiment driver (not part of `npm run bench`): before/after of a proposed
// change, measured like the bench (Go reference harness, interleaved rounds,
// order alternating, medians). Build the variants first: `npm run bench` once
// (Go harness, bundle, code-cache loader) and
//   node bench/experiments/plugin-context-fix.mjs
//   node bench/experiments/ab.mjs context [rounds]    per-call context fix (sources before 11d111a): latency, throughput, RSS
//   node bench/experiments/ab.mjs codecache [rounds]  V8 code cache: TS plugin spawn → handshake
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cache = join(root, 'bench', 'dist', 'cache');
const gobench = join(cache, 'gobench');
const node = process.execPath;
const [which = 'context', roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 5);

function run(args) {
  const r = spawnSync(gobench, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gobench ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const configs = {
  context: {
    variants: {
      before: [node, join(cache, 'context-fix', 'before.mjs')],
      after: [node, join(cache, 'context-fix', 'after.mjs')],
    },
    measure: (plugin) => {
      const lat = run(['latency', '-n', '10000', '-warmup', '1000', '--', ...plugin]);
      const tp = run(['throughput', '-c', '1,64', '-duration', '2s', '--', ...plugin]);
      return {
        p50_us: lat.p50_us,
        p99_us: lat.p99_us,
        plugin_hwm_mb_after_11k_calls: lat.plugin_hwm_kb / 1024,
        c1_per_s: tp.rates[0].per_sec,
        c64_per_s: tp.rates[1].per_sec,
      };
    },
  },
  codecache: {
    variants: {
      'esm bundle (packPlugin today)': [node, join(cache, 'helloworld.mjs')],
      'cjs bundle + code cache (bench/src/code-cache.ts)': [node, join(cache, 'code-cache', 'loader.cjs')],
    },
    measure: (plugin) => {
      const s = run(['start', '-n', '4', '--', ...plugin]).samples.slice(1);
      return {
        handshake_ms: median(s.map((x) => x.handshake_ms)),
        ready_ms: median(s.map((x) => x.ready_ms)),
      };
    },
  },
};

const cfg = configs[which];
if (!cfg) throw new Error(`unknown experiment ${which}`);
const names = Object.keys(cfg.variants);
const results = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + r) % names.length];
    results[name].push(cfg.measure(cfg.variants[name]));
  }
}
for (const name of names) {
  const rows = results[name];
  const keys = Object.keys(rows[0]);
  console.log(`${name}: ${keys.map((k) => `${k} ${median(rows.map((x) => x[k])).toFixed(1)}`).join(', ')}`);
}
