// Experiment (not part of `npm run bench`): CPU time a plugin process spends
// until it has printed its handshake line (sum of its threads' run time from
// /proc/<pid>/task/*/schedstat, ns), beside the wall time. CPU time is far
// less sensitive than wall time to a loaded machine, so it separates variants
// when the machine is shared. Each variant is started like a go-plugin host
// would (Quorum's cookie, AutoMTLS with a fresh host certificate), rounds
// interleaved in rotating order, medians. A command ending in `-e 0` is
// measured to exit instead (its CPU time read just before exit by a preload).
//   node bench/experiments/startup-cpu.mjs ROUNDS 'name=cmd arg…' …
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

import { generateCertificate } from '@qplugin/go-plugin/internal';
import { QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

const [roundsArg, ...specs] = process.argv.slice(2);
const variants = specs.map((s) => ({
  name: s.slice(0, s.indexOf('=')),
  cmd: s.slice(s.indexOf('=') + 1).split(' '),
}));
const host = await generateCertificate();
const env = {
  ...process.env,
  [QUORUM_HANDSHAKE.magicCookieKey]: QUORUM_HANDSHAKE.magicCookieValue,
  PLUGIN_PROTOCOL_VERSIONS: '1',
  PLUGIN_CLIENT_CERT: host.pem,
};

function cpuMs(pid) {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended in between (rare: Node's threads live as long as the process).
    }
  }
  return ns / 1e6;
}

function once(cmd) {
  const exit = cmd.at(-2) === '-e' && cmd.at(-1) === '0';
  const args = exit
    ? [
        ...cmd.slice(1, -2),
        '-e',
        "process.stdout.write('1|' + require('fs').readdirSync('/proc/self/task').reduce((a, t) => a + Number(require('fs').readFileSync('/proc/self/task/' + t + '/schedstat', 'utf8').split(' ')[0]), 0) / 1e6 + '\\n')",
      ]
    : cmd.slice(1);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd[0], args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      const wall = performance.now() - t0;
      const cpu = exit ? Number(out.split('|')[1]) : cpuMs(child.pid);
      child.kill('SIGKILL');
      child.once('exit', () => resolve({ wall, cpu }));
    });
    child.once('error', reject);
  });
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const res = Object.fromEntries(variants.map((v) => [v.name, { wall: [], cpu: [] }]));
for (let r = 0; r < Number(roundsArg); r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length];
    const s = await once(v.cmd);
    res[v.name].wall.push(s.wall);
    res[v.name].cpu.push(s.cpu);
  }
}
for (const v of variants) {
  const o = res[v.name];
  console.log(
    `${v.name.padEnd(30)} cpu ${median(o.cpu).toFixed(1).padStart(6)} ms   wall ${median(o.wall).toFixed(1).padStart(6)} ms   (n=${o.cpu.length})`,
  );
}
