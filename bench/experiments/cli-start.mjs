// Experiment (not part of `npm run bench`): wall time, CPU time and peak RSS of
// short commands run to completion (e.g. `qplugin --version` of two builds),
// rounds interleaved in rotating order, medians with min–max. Each command runs
// under /usr/bin/time, whose own small process is the one that forks it, so
// the peak RSS is the command's own (Linux carries a parent's peak across fork).
//   node bench/experiments/cli-start.mjs ROUNDS 'name=cmd arg…' …
import { spawnSync } from 'node:child_process';

const [roundsArg, ...specs] = process.argv.slice(2);
const variants = specs.map((s) => ({
  name: s.slice(0, s.indexOf('=')),
  cmd: s.slice(s.indexOf('=') + 1).split(' '),
}));
const rounds = Number(roundsArg ?? 10);
const runs = new Map(variants.map((v) => [v.name, []]));

for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length];
    const t0 = process.hrtime.bigint();
    const out = spawnSync('/usr/bin/time', ['-f', 'QP %U %S %M', ...v.cmd], { encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const m = /QP (\S+) (\S+) (\d+)\s*$/.exec(out.stderr);
    if (!m) throw new Error(`${v.name}: no figures (status ${out.status}): ${out.stderr.slice(-300)}`);
    runs.get(v.name).push({ wall, cpu: (Number(m[1]) + Number(m[2])) * 1000, rss: Number(m[3]) / 1000 });
  }
}

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)].toFixed(1)} (${s[0].toFixed(1)}–${s.at(-1).toFixed(1)})`;
};
console.log(`node ${process.version}, ${rounds} rounds; median (min–max)`);
console.log('variant | wall ms | CPU ms | peak RSS MB');
for (const [name, rs] of runs) {
  console.log(
    `${name} | ${stat(rs.map((x) => x.wall))} | ${stat(rs.map((x) => x.cpu))} | ${stat(rs.map((x) => x.rss))}`,
  );
}
