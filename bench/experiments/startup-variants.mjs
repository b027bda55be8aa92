// Experiment (not part of `npm run bench`): spawn → handshake and spawn → ready
// (Init done) of several plugin commands under the Go reference host,
// interleaved rounds in rotating order, medians of the warm samples (2nd+ start
// in each harness process). Build the Go harness first (`npm run bench` once,
// or `npm run bench -- --quick`).
//   node bench/experiments/startup-variants.mjs ROUNDS 'name=cmd arg…' 'name2=cmd…' …
// A variant named `node -e 0` style (command ending in `-e 0`) is timed to exit instead.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const gobench = join(root, 'bench', 'dist', 'cache', 'gobench');
const [roundsArg, ...specs] = process.argv.slice(2);
const rounds = Number(roundsArg);
const variants = specs.map((s) => {
  const eq = s.indexOf('=');
  return { name: s.slice(0, eq), cmd: s.slice(eq + 1).split(' ') };
});
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const out = Object.fromEntries(variants.map((v) => [v.name, { handshake: [], ready: [] }]));
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length];
    const exec = v.cmd.at(-2) === '-e' && v.cmd.at(-1) === '0';
    const res = spawnSync(gobench, [exec ? 'exec' : 'start', '-n', '4', '--', ...v.cmd], {
      encoding: 'utf8',
    });
    if (res.status !== 0) throw new Error(`${v.name}: ${res.stderr}`);
    for (const s of JSON.parse(res.stdout).samples.slice(1)) {
      out[v.name].handshake.push(exec ? s.exit_ms : s.handshake_ms);
      if (!exec) out[v.name].ready.push(s.ready_ms);
    }
  }
}
for (const v of variants) {
  const o = out[v.name];
  console.log(
    `${v.name.padEnd(34)} handshake ${median(o.handshake).toFixed(1).padStart(6)} ms` +
      (o.ready.length ? `   ready ${median(o.ready).toFixed(1).padStart(6)} ms` : '') +
      `   (n=${o.handshake.length})`,
  );
}
