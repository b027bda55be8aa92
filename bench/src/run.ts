/**
 * `npm run bench`: every scenario, TS vs reference, interleaved in one run on
 * this machine, once per Node.js runtime (Node 24 LTS and the machine's
 * Node). Writes bench/results/<date>.json (+ .svg chart) and renders
 * docs/benchmarks.md.
 *
 *   node bench/dist/run.js [--quick] [--rounds N] [--only s1,s3] [--node lts,current]
 *                          [--out DIR] [--docs FILE|--no-docs] [--scenario-timeout S]
 *
 * --node: `lts` is the pinned Node 24 (scripts/node-lts.mjs, installed into
 * .tools/ when missing), `current` the Node running this script. Default:
 * both for a full run, `current` for --quick.
 * --quick is the CI smoke run: small sizes, one round, results in a temp
 * directory unless --out is given, no docs; it checks that every scenario
 * completes, never how fast.
 * --scenario-timeout: seconds a scenario may take (default 120 with --quick,
 * 1800 otherwise); past it the scenario fails by name, the processes it
 * started are killed, and the run goes on.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { ScenarioResult, Settings } from './common.js';
import { prepareRuntime, prepareShared, resolveRuntimes, ROOT } from './prepare.js';
import type { Peers, Runtime, Shared } from './prepare.js';
import { renderMarkdown, renderSvg } from './report.js';
import { applyTargets } from './targets.js';
import { scenarioLatency, scenarioThroughput } from './scenario-calls.js';
import { scenarioDistribution } from './scenario-dist.js';
import { scenarioClientStacks } from './scenario-clients.js';
import { scenarioGateway } from './scenario-gateway.js';
import { scenarioScale } from './scenario-scale.js';
import { scenarioPluginStart, scenarioStartToReady } from './scenario-start.js';
import { withDeadline } from './watchdog.js';

/** Every scenario on one Node.js runtime. */
export interface RuntimeRun {
  /** `process.version` of the runtime, e.g. `v24.22.3`. */
  node: string;
  /** `lts` (the pinned Node 24) or `current` (the Node that ran the bench). */
  source: Runtime['source'];
  execPath: string;
  scenarios: ScenarioResult[];
}

export interface BenchResults {
  date: string;
  quick: boolean;
  rounds: number;
  machine: Record<string, string | number>;
  versions: Record<string, string>;
  method: string[];
  runs: RuntimeRun[];
}

const SCENARIOS: Record<string, (p: Peers, s: Settings) => Promise<ScenarioResult>> = {
  s1: scenarioStartToReady,
  s2: scenarioPluginStart,
  s3: scenarioLatency,
  s3c: scenarioClientStacks,
  s4: scenarioThroughput,
  s5: scenarioScale,
  s6: scenarioDistribution,
  s7: scenarioGateway,
};

const TITLES: Record<string, string> = {
  s1: 'Plugin start to ready',
  s2: 'TS plugin start to handshake',
  s3: 'Unary call latency',
  s3c: 'gRPC client stacks',
  s4: 'Throughput and 1 MiB',
  s5: 'Scale',
  s6: 'Verify + unpack a distribution',
  s7: 'JSON-RPC gateway under HTTP load',
};

export const METHOD = [
  'Every comparison runs both sides in the same run on the same machine, as separate processes, interleaved: each round runs every variant once, and the order rotates each round (A B, then B A, …).',
  'A ratio is TS ÷ reference per round (both measured back to back), then the median over rounds; the range shown is the lowest and highest round ratio. Times are never compared across runs or machines.',
  'Host side: our PluginClient (bench/src/ts-host.ts) vs a go-plugin v1.8.0 host (interop/go/bench) with the same steps, a silent logger, AutoMTLS on, unix sockets. Plugin side: the Go interop plugin (go-plugin v1.8.0) or the TS hello world plugin (examples/helloworld), started as `node <file>`.',
  'Start-up: "warm" excludes the first start of each harness process (cold host code paths), "cold" is that first start only. Scenario 2 compares the Go host\'s spawn → parsed handshake with spawn → exit of `node -e 0` started by the same Go harness.',
  'Latency: sequential Greeting calls with a 6-byte message after 1,000 warm-up calls; throughput: closed loop with 1, 16, 64 calls in flight, a quarter of the measured time as warm-up; 1 MiB: Greeting with a 1 MiB message and its 1 MiB answer.',
  "Memory: peak RSS (VmHWM from /proc; getrusage maxrss would include the bench's own peak, which Linux carries into a child across fork and exec) of each harness (host) process, and the plugin's VmHWM read from /proc just before it is killed. In brackets where sampled: the peak of RssAnon (the memory the process allocated itself, without the node executable's shared file pages), read every 50 ms by the harness (a lower bound).",
  'Scenario 2 runs twice the rounds (they are cheap and start-up times are the noisiest); scenario 5 half, rounded up (100 plugins per round).',
  'Scenario 6: a packPlugin zip (the Go plugin binary plus incompressible and log-like assets) signed with signChecksum. TS: readArchive + sha256Checksum + verifyDistribution (local mode) + unpackArchive in one process, modules loaded before timing; "cold" is its first run, "warm" the later ones. Native: sha256sum, gpg --verify (key imported into a keyring before timing) and unzip -q, each its own process.',
  "Scenario 7: `qplugin run` (settings with the go-plugin v1.2.2 interop plugin packed as a distribution, verification skipped) vs a Go gateway in one process (interop/go/gateway: net/http + encoding/json + a go-plugin v1.2.2 client, GoQuorum's pins) hosting the same plugin, both answering `plugin@helloworld_greeting`. Load: autocannon in its own process (on the Node that runs the bench, for both sides), keep-alive connections, a warm-up then the measured run, per round and connection count the two gateways back to back in alternating order. CPU per request: utime + stime of the gateway process (all threads) from /proc/<pid>/stat before and after the measured run, divided by the requests answered; clock-tick resolution (10 ms). \"Gateway + plugin\" adds the plugin process's CPU read the same way (what the plugin spends depends on the client calling it); the load process's own CPU per request (process.cpuUsage) is in the details: all three share the machine's cores.",
  "Runtimes: every scenario runs once per Node.js runtime (the pinned Node 24 LTS, then the machine's Node), each with its own Go reference rounds, so every ratio pairs measurements taken back to back. Figures of different runtimes were taken minutes apart: compare their ratios, not their absolute times.",
  'The machine is shared with other work (load averages below). Interleaving protects the ratios from slow phases, not from everything: the range of the round ratios is shown for that reason.',
];

function machine(): BenchResults['machine'] {
  const cpu = cpus();
  return {
    os: `${type()} ${release()}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGB: Math.round(freemem() / 2 ** 30),
  };
}

/** The machine is shared: say how busy it was (1-minute load average) around the run. */
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Results are committed: format them as the repo's Prettier would, when it is there. */
async function formatJson(text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    return await prettier.format(text, { parser: 'json', printWidth: 110 });
  } catch {
    return text;
  }
}

function versions(peers: Shared, runtimes: readonly Runtime[]): BenchResults['versions'] {
  const pkg = (name: string): string =>
    (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  return {
    node: runtimes.map((r) => r.version).join(', '),
    go: peers.goVersion,
    'go-plugin (reference)': peers.goModules['github.com/hashicorp/go-plugin'] ?? '?',
    'grpc-go (reference)': peers.goModules['google.golang.org/grpc'] ?? '?',
    '@grpc/grpc-js': pkg('@grpc/grpc-js'),
    '@bufbuild/protobuf': pkg('@bufbuild/protobuf'),
    openpgp: pkg('openpgp'),
    esbuild: pkg('esbuild'),
    autocannon: pkg('autocannon'),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      docs: { type: 'string' },
      'no-docs': { type: 'boolean', default: false },
      node: { type: 'string' },
      'scenario-timeout': { type: 'string' },
    },
  });
  const quick = values.quick!;
  const rounds = Number(values.rounds ?? (quick ? 1 : 5));
  const only = values.only ? values.only.split(',') : Object.keys(SCENARIOS);
  for (const id of only) {
    if (!SCENARIOS[id])
      throw new Error(`unknown scenario ${id}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  }
  const timeoutS = Number(values['scenario-timeout'] ?? (quick ? 120 : 1800));
  if (!(timeoutS > 0))
    throw new Error(`--scenario-timeout must be a number of seconds > 0, not ${values['scenario-timeout']}`);
  let lastLine: string | undefined;
  const log = (line: string): void => {
    lastLine = line;
    process.stderr.write(`[bench] ${line}\n`);
  };
  const settings: Settings = { quick, rounds, log };

  const loadBefore = load();
  const runtimes = await resolveRuntimes((values.node ?? (quick ? 'current' : 'lts,current')).split(','));
  const shared = await prepareShared(log);
  const runs: RuntimeRun[] = [];
  for (const runtime of runtimes) {
    const peers: Peers = prepareRuntime(shared, runtime, log);
    const scenarios: ScenarioResult[] = [];
    for (const id of only) {
      log(`${runtime.version} ${id}: ${TITLES[id]}`);
      const t0 = performance.now();
      try {
        lastLine = undefined;
        scenarios.push(
          await withDeadline(
            `${runtime.version} ${id}`,
            timeoutS * 1000,
            () => SCENARIOS[id]!(peers, settings),
            () => lastLine,
          ),
        );
      } catch (err) {
        log(`${id} failed: ${(err as Error).stack ?? String(err)}`);
        scenarios.push({
          id,
          title: TITLES[id]!,
          completed: false,
          metrics: [],
          memory: [],
          details: { error: (err as Error).message },
        });
      }
      log(`${runtime.version} ${id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    runs.push({
      node: runtime.version,
      source: runtime.source,
      execPath: runtime.node,
      scenarios: scenarios.map(applyTargets),
    });
  }

  const date = new Date().toISOString().slice(0, 10);
  const results: BenchResults = {
    date,
    quick,
    rounds,
    machine: { ...machine(), 'load average (1, 5, 15 min) before': loadBefore, 'load average after': load() },
    versions: { ...versions(shared, runtimes), 'qplugin commit': commit() },
    method: METHOD,
    runs,
  };
  const outDir = values.out ?? (quick ? undefined : join(ROOT, 'bench', 'results'));
  const name = quick ? `${date}-quick` : date;
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${name}.json`), await formatJson(JSON.stringify(results, null, 2)));
    writeFileSync(join(outDir, `${name}.svg`), renderSvg(results));
    log(`results: ${join(outDir, `${name}.json`)}`);
  }
  const docs =
    values['no-docs'] || quick ? values.docs : (values.docs ?? join(ROOT, 'docs', 'benchmarks.md'));
  if (docs) {
    writeFileSync(docs, renderMarkdown(results, `../bench/results/${name}.svg`));
    log(`rendered ${docs}`);
  }
  // The JSON also goes to stdout, so a caller (the smoke test) needs no file.
  const ok = runs.every((r) => r.scenarios.every((s) => s.completed));
  process.stdout.write(JSON.stringify(results) + '\n', () => process.exit(ok ? 0 : 1));
}

await main();
