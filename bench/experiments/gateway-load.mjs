// Experiment driver (not part of `npm run bench`): `qplugin run` (and the Go
// reference gateway) under autocannon, as in scenario 7, for before/after
// comparisons of the gateway and for CPU profiles. Needs `npm run bench -- --quick --only s7`
// once (Go gateway and plugin, bench/dist). Variants are qplugin launchers:
//   mkdir -p .tmp/gw-before/packages/quorum && cp -r packages/quorum/{bin,dist,package.json} .tmp/gw-before/packages/quorum/
//   (then change and rebuild) and
//   node bench/experiments/gateway-load.mjs --variant before=.tmp/gw-before/packages/quorum/bin/qplugin.mjs \
//        --variant after=packages/cli/bin/qplugin.mjs [--go] [--rounds 5] [--seconds 3] [--connections 64] [--node PATH]
//   node bench/experiments/gateway-load.mjs --profile /tmp/prof --seconds 10     (one run under --cpu-prof;
//        then node bench/experiments/cpuprofile-summary.mjs /tmp/prof/*.cpuprofile)
//   node bench/experiments/gateway-load.mjs --stub --variant before=.tmp/gw-before/packages/quorum \
//        --variant after=packages/quorum      (the gateway alone: greeting answered in process, no plugin;
//        variants are quorum package directories, served by gateway-stub-server.mjs)
//   A variant whose name ends in +metrics runs `qplugin run --metrics` (listener up, not scraped):
//   --variant plain=packages/cli/bin/qplugin.mjs --variant with+metrics=packages/cli/bin/qplugin.mjs
//   Gateways start as users start them (`node qplugin.mjs run`: on Node ≥ 22.15 run restarts itself with
//   the young-generation cap). A variant whose name ends in +noflags keeps V8's default sizes
//   (--max-semi-space-size=0: run then leaves them), one ending in +semiN starts with N MB semi-spaces.
//   Each gateway's peak RSS (VmHWM) is printed at the end.
// Rounds alternate the order of the variants; printed: medians of req/s, p50, p99 and the gateway's CPU
// µs per request (from /proc), its plugin's and the load process's, with each round's values.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { probe, startGoGateway, startQpluginRun } from '../dist/gateways.js';
import { runHarness } from '../dist/proc.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true, default: [] },
    go: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    node: { type: 'string', default: process.execPath },
    profile: { type: 'string' },
    stub: { type: 'boolean', default: false },
  },
});
const peers = {
  runtime: { node: values.node },
  gethPlugin: join(root, 'interop', 'go', 'bin', 'v1.2.2', 'plugin'),
  goGateway: join(root, 'bench', 'dist', 'cache', 'gogateway'),
};
const variants = Object.fromEntries(
  (values.variant.length
    ? values.variant
    : [`current=${join(root, values.stub ? 'packages/quorum' : 'packages/cli/bin/qplugin.mjs')}`]
  ).map((v) => {
    const [name, path] = v.split('=');
    return [name, resolve(path)];
  }),
);
/** gateway-stub-server.mjs on a quorum package directory, shaped like a GatewayServer. */
async function startStub(dir, nodeArgs) {
  const child = spawn(
    values.node,
    [...nodeArgs, join(root, 'bench', 'experiments', 'gateway-stub-server.mjs'), dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise((ok, fail) => {
    child.stdout.once('data', (d) => ok(String(d)));
    child.once('exit', (code) => fail(new Error(`stub server exited ${code}`)));
  });
  const exited = new Promise((ok) => child.once('exit', ok));
  return {
    url: JSON.parse(line).url,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function measure(server) {
  const { json } = await runHarness(process.execPath, [
    join(root, 'bench', 'dist', 'load.js'),
    ...['--url', server.url, '--connections', values.connections],
    ...['--warmup-ms', '1000', '--duration-ms', String(Number(values.seconds) * 1000)],
    ...['--pids', [server.pid, server.pluginPid].filter(Boolean).join(',')],
  ]);
  if (json.non2xx || json.errors || json.timeouts)
    throw new Error(`failed requests: ${JSON.stringify(json)}`);
  return {
    rps: json.rps,
    p50_us: json.p50_us,
    p99_us: json.p99_us,
    cpu_us_per_req: json.cpu_us[server.pid] / json.requests,
    ...(server.pluginPid ? { plugin_cpu_us_per_req: json.cpu_us[server.pluginPid] / json.requests } : {}),
    load_cpu_us_per_req: json.load_cpu_us / json.requests,
  };
}

/** A +semiN variant's young-generation flags; undefined leaves startQpluginRun's default. */
function semiFlags(name) {
  const mb = /\+semi(\d+)$/.exec(name)?.[1];
  return mb ? [`--max-semi-space-size=${mb}`, `--min-semi-space-size=${mb}`] : undefined;
}

const dir = mkdtempSync(join(tmpdir(), 'qplugin-gw-exp-'));
const servers = {};
try {
  const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  for (const [name, path] of Object.entries(variants)) {
    servers[name] = values.stub
      ? await startStub(path, nodeArgs)
      : await startQpluginRun(
          { ...peers, qplugin: path },
          mkdtempSync(join(dir, 'run-')),
          name.endsWith('+noflags')
            ? [...nodeArgs, '--max-semi-space-size=0', '--min-semi-space-size=0']
            : nodeArgs,
          name.endsWith('+metrics') ? ['--metrics', '--metrics.port', '0'] : [],
          semiFlags(name),
        );
  }
  if (values.go) servers.go = await startGoGateway(peers);
  for (const s of Object.values(servers)) await probe(s.url);
  const names = Object.keys(servers);
  const results = Object.fromEntries(names.map((n) => [n, []]));
  const rounds = values.profile ? 1 : Number(values.rounds);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      results[name].push(await measure(servers[name]));
    }
  }
  console.log(
    `${values.connections} connections, ${values.seconds} s per run, ${rounds} rounds, node ${values.node}`,
  );
  for (const name of names) {
    const rows = results[name];
    const cols = Object.keys(rows[0]).map(
      (k) =>
        `${k} ${median(rows.map((x) => x[k])).toFixed(1)} [${rows.map((x) => x[k].toFixed(0)).join(' ')}]`,
    );
    console.log(`${name}: ${cols.join(', ')}`);
  }
  for (const name of names) {
    const peak = servers[name].peakKB();
    console.log(
      `${name}: peak RSS gateway ${(peak.gateway / 1000).toFixed(1)} MB, plugin ${(peak.plugin / 1000).toFixed(1)} MB`,
    );
  }
  // Paired per round, as the bench does: each round's value ÷ the first variant's in the same round.
  for (const name of names.slice(1)) {
    const base = results[names[0]];
    const cols = Object.keys(base[0]).map((k) => {
      const r = results[name].map((x, i) => x[k] / base[i][k]);
      return `${k} ${median(r).toFixed(2)}× (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`;
    });
    console.log(`${name} ÷ ${names[0]}, per round: ${cols.join(', ')}`);
  }
} finally {
  await Promise.allSettled(Object.values(servers).map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
}
