// Experiment (not part of `npm run bench`): what each import costs a fresh
// Node process (spawn → exit), interleaved: every round runs every variant
// once, in rotating order; medians over rounds.
//   node bench/experiments/import-cost.mjs [rounds]
import { spawnSync } from 'node:child_process';

const rounds = Number(process.argv[2] ?? 15);
const imp = (spec) => ['--input-type=module', '-e', `await import(${JSON.stringify(spec)})`];
const variants = {
  'node -e 0': ['-e', '0'],
  '@grpc/grpc-js': imp('@grpc/grpc-js'),
  '@bufbuild/protobuf': imp('@bufbuild/protobuf'),
  '@qplugin/go-plugin/plugin': imp('@qplugin/go-plugin/plugin'),
  '@qplugin/quorum/plugin': imp('@qplugin/quorum/plugin'),
  'go-plugin/plugin + quorum/plugin': [
    '--input-type=module',
    '-e',
    "await import('@qplugin/go-plugin/plugin'); await import('@qplugin/quorum/plugin')",
  ],
  '@qplugin/quorum (root)': imp('@qplugin/quorum'),
};
const names = Object.keys(variants);
const ms = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + r) % names.length];
    const t = performance.now();
    const res = spawnSync(process.execPath, variants[name], { stdio: 'ignore' });
    if (res.status !== 0) throw new Error(`${name} failed`);
    ms[name].push(performance.now() - t);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const base = median(ms['node -e 0']);
for (const n of names) {
  const m = median(ms[n]);
  console.log(
    `${n.padEnd(34)} ${m.toFixed(0).padStart(5)} ms  (+${(m - base).toFixed(0)} ms over node -e 0)`,
  );
}
