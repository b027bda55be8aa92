/**
 * Scenarios 1 and 2: start-up.
 * 1. Plugin start to ready (spawn → handshake → mTLS → health → Init done):
 *    our TS host vs go-plugin v1.8.0's host, same Go plugin.
 * 2. Our TS plugin's spawn → handshake under the Go host, vs `node -e 0`
 *    (spawn → exit) and vs the Go plugin, for each way of shipping it:
 *    unbundled, `qplugin pack --no-code-cache` (ES module bundle), `qplugin
 *    pack` (its default: CommonJS + code cache), --sea and --sea
 *    --snapshot (the last two need the TS side's Node to be >= 22); spawn →
 *    ready (Init answered) beside it; a phase breakdown taken with the
 *    startup-marks preload.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Metric, MemoryRow, ScenarioResult, Settings } from './common.js';
import { harness, interleave, metric, num, samplesOf } from './common.js';
import type { Peers } from './prepare.js';
import type { Json } from './proc.js';
import { seaVariants } from './startup-variants.js';
import { median, round } from './stats.js';

/** Samples after the first of a process (the first pays the harness's own cold paths). */
const warm = (samples: Json[], key: string): number =>
  median((samples.length > 1 ? samples.slice(1) : samples).map((s) => num(s, key)));
const cold = (samples: Json[], key: string): number => num(samples[0]!, key);
const medianOf = (runs: Json[], f: (j: Json) => number): number => round(median(runs.map(f)), 1);

export async function scenarioStartToReady(peers: Peers, s: Settings): Promise<ScenarioResult> {
  const perProcess = s.quick ? 2 : 5;
  const flags = ['-n', String(perProcess)];
  const runs = await interleave(
    s.rounds,
    {
      go: async () => await harness(peers, 'go', 'start', flags, peers.goPlugin),
      ts: async () => await harness(peers, 'ts', 'start', flags, peers.goPlugin),
    },
    s.log,
  );
  const series = (side: 'go' | 'ts', f: (x: Json[], k: string) => number, key: string): number[] =>
    runs[side]!.map((j) => f(samplesOf(j), key));
  const phases = (side: 'go' | 'ts'): Json => {
    const rows = runs[side]!.flatMap(samplesOf);
    const m = (k: string): number | undefined =>
      rows.every((r) => typeof r[k] === 'number') ? round(median(rows.map((r) => num(r, k))), 2) : undefined;
    return {
      handshake_ms: m('handshake_ms'),
      connect_health_ms:
        side === 'ts'
          ? m('connect_health_ms')
          : round(median(rows.map((r) => num(r, 'connect_ms') + num(r, 'health_ms'))), 2),
      init_ms: m('init_ms'),
      ready_ms: m('ready_ms'),
      kill_ms: m('kill_ms'),
      plugin_hwm_kb: m('plugin_hwm_kb'),
    };
  };
  return {
    id: 's1',
    title: 'Plugin start to ready (spawn → handshake → mTLS → health → Init)',
    completed: true,
    metrics: [
      metric({
        id: 's1.ready.warm',
        label: 'start → ready, TS host vs Go host (Go plugin; 2nd+ start in a host process)',
        unit: 'ms',
        ts: series('ts', warm, 'ready_ms'),
        ref: series('go', warm, 'ready_ms'),
        refLabel: 'Go host (go-plugin v1.8.0)',
      }),
      metric({
        id: 's1.ready.cold',
        label: 'start → ready, TS host vs Go host (first start in a fresh host process)',
        unit: 'ms',
        ts: series('ts', cold, 'ready_ms'),
        ref: series('go', cold, 'ready_ms'),
        refLabel: 'Go host (go-plugin v1.8.0)',
      }),
    ],
    memory: [
      harnessMemory('TS host → Go plugin (start)', runs.ts!),
      harnessMemory('Go host → Go plugin (start)', runs.go!),
    ],
    details: { perProcess, phases: { ts: phases('ts'), go: phases('go') } },
  };
}

/**
 * Host peak RSS is reported by the harness at exit; the plugin's peak just
 * before it is killed. Peak anonymous RSS beside them where the harness
 * sampled it (calls: both; start: the host's only).
 */
export function harnessMemory(label: string, runs: Json[]): MemoryRow {
  const plugin = (key: string): number[] =>
    runs.flatMap((j) =>
      Array.isArray(j.samples) ? (j.samples as Json[]).map((s) => num(s, key)) : [num(j, key)],
    );
  const sampled = (values: number[]): number | undefined =>
    values.some((v) => v > 0) ? median(values) : undefined;
  return {
    label,
    hostKB: median(runs.map((j) => num(j, 'host_maxrss_kb'))),
    pluginKB: median(plugin('plugin_hwm_kb')),
    hostAnonKB: sampled(runs.map((j) => num(j, 'host_anon_peak_kb'))),
    pluginAnonKB: sampled(plugin('plugin_anon_peak_kb')),
  };
}

async function breakdown(peers: Peers, plugin: string[], runs: number, perProcess: number): Promise<Json> {
  const dir = mkdtempSync(join(tmpdir(), 'qplugin-bench-marks-'));
  const file = join(dir, 'marks.jsonl');
  try {
    const [node, ...script] = plugin;
    const cmd = [node!, '--import', peers.marksPreload, ...script];
    for (let r = 0; r < runs; r++) {
      await harness(peers, 'go', 'start', ['-n', String(perProcess)], cmd, {
        ...process.env,
        BENCH_MARKS_FILE: file,
      });
    }
    const marks = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    const m = (f: (x: Record<string, number>) => number): number => round(median(marks.map(f)), 1);
    return {
      samples: marks.length,
      node_bootstrap_ms: m((x) => x.bootstrap!),
      module_loading_ms: m((x) => x.modules! - x.bootstrap!),
      key_generation_ms: m((x) => x.keygen! - x.modules!),
      certificate_listen_handshake_ms: m((x) => x.handshake! - x.keygen!),
      handshake_since_process_start_ms: m((x) => x.handshake!),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function scenarioPluginStart(peers: Peers, s: Settings): Promise<ScenarioResult> {
  const perProcess = s.quick ? 2 : 5;
  const flags = ['-n', String(perProcess)];
  const start = (plugin: string[]) => async () => await harness(peers, 'go', 'start', flags, plugin);
  // The Node the TS side runs on, and the compiled hello world entry.
  const node = peers.runtime.node;
  const sea = s.quick ? undefined : await seaVariants(node, peers.tsPlugin[1]!, s.log);
  // NODE_EXTRA_CA_CERTS makes Node parse that file's certificates (Node 20: at start-up, Node 24: at the
  // first TLS context with a CA; findings §31). Where the machine sets it, the default pack and
  // `node -e 0` also run without it, so both environments are seen.
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  const unset = extra ? { ...process.env, NODE_EXTRA_CA_CERTS: undefined } : undefined;
  const startUnset = (plugin: string[]) => async () =>
    await harness(peers, 'go', 'start', flags, plugin, unset);
  // Start-up times are the noisiest here, and a round is cheap: twice the rounds.
  const runs = await interleave(
    s.quick ? s.rounds : s.rounds * 2,
    {
      node: async () => await harness(peers, 'go', 'exec', flags, [node, '-e', '0']),
      go: start(peers.goPlugin),
      ts: start(peers.tsPlugin),
      bundled: start(peers.tsPluginBundled),
      codecache: start(peers.tsPluginCodeCache),
      rootimport: start(peers.tsPluginRootImport),
      ...(sea ? { sea: start(sea.sea), seasnapshot: start(sea.seaSnapshot) } : {}),
      ...(unset
        ? {
            nodeclean: async () => await harness(peers, 'go', 'exec', flags, [node, '-e', '0'], unset),
            codecacheclean: startUnset(peers.tsPluginCodeCache),
          }
        : {}),
    },
    s.log,
  );
  const per = (name: string, key: string): number[] => runs[name]!.map((j) => warm(samplesOf(j), key));
  const nodeExit = per('node', 'exit_ms');
  const goHandshake = per('go', 'handshake_ms');
  /** Each variant against `node -e 0` and against the Go plugin. */
  const pair = (id: string, name: string, label: string): Metric[] => [
    metric({
      id: `s2.${id}.node`,
      label: `${label}: spawn → handshake vs \`node -e 0\` spawn → exit`,
      unit: 'ms',
      ts: per(name, 'handshake_ms'),
      ref: nodeExit,
      refLabel: 'node -e 0',
    }),
    metric({
      id: `s2.${id}.go`,
      label: `${label} vs Go plugin: spawn → handshake`,
      unit: 'ms',
      ts: per(name, 'handshake_ms'),
      ref: goHandshake,
      refLabel: 'Go plugin (go-plugin v1.8.0)',
    }),
  ];
  const variants: [string, string, string][] = [
    ['bundled', 'bundled', 'TS plugin, `qplugin pack --no-code-cache` (ES module bundle run by node)'],
    ['codecache', 'codecache', 'TS plugin, `qplugin pack`, the default (CommonJS + V8 code cache)'],
    ...(sea
      ? ([
          ['sea', 'sea', 'TS plugin, `qplugin pack --sea` (single executable, V8 code cache)'],
          [
            'seasnapshot',
            'seasnapshot',
            'TS plugin, `qplugin pack --sea --snapshot` (single executable, V8 startup snapshot)',
          ],
        ] as [string, string, string][])
      : []),
    ['unbundled', 'ts', 'TS plugin, unbundled (node dist/main.js)'],
  ];
  const clean: Metric[] = unset
    ? [
        metric({
          id: 's2.codecache-clean.node',
          label:
            'TS plugin, `qplugin pack`, the default, without NODE_EXTRA_CA_CERTS (set on this machine): spawn → handshake vs `node -e 0` without it',
          unit: 'ms',
          ts: per('codecacheclean', 'handshake_ms'),
          ref: per('nodeclean', 'exit_ms'),
          refLabel: 'node -e 0',
        }),
        metric({
          id: 's2.codecache-clean.go',
          label:
            'TS plugin, `qplugin pack`, the default, without NODE_EXTRA_CA_CERTS (set on this machine) vs Go plugin: spawn → handshake',
          unit: 'ms',
          ts: per('codecacheclean', 'handshake_ms'),
          ref: goHandshake,
          refLabel: 'Go plugin (go-plugin v1.8.0)',
        }),
      ]
    : [];
  const names = [
    'node',
    'go',
    'ts',
    'bundled',
    'codecache',
    'rootimport',
    ...(sea ? ['sea', 'seasnapshot'] : []),
    ...(unset ? ['nodeclean', 'codecacheclean'] : []),
  ];
  /** The `node -e 0` variants: timed to their exit, not to a handshake. */
  const exits = new Set(['node', 'nodeclean']);
  const medianOfRuns = (name: string, key: string): number =>
    medianOf(runs[name]!, (j) => warm(samplesOf(j), key));
  s.log('  phase breakdown (startup-marks preload)');
  const bRuns = s.quick ? 1 : 3;
  return {
    id: 's2',
    title: 'TS plugin start to handshake under a Go host',
    completed: true,
    metrics: [
      ...variants.flatMap(([id, name, label]) => pair(id, name, label)),
      ...clean,
      metric({
        id: 's2.rootimport.node',
        label: 'BEFORE dae2480: unbundled, importing the @qplugin/quorum root vs `node -e 0`',
        unit: 'ms',
        ts: per('rootimport', 'handshake_ms'),
        ref: nodeExit,
        refLabel: 'node -e 0',
      }),
    ],
    memory: [
      harnessMemory('Go host → Go plugin (start)', runs.go!),
      harnessMemory('Go host → TS plugin unbundled (start)', runs.ts!),
      harnessMemory('Go host → TS plugin bundled (start)', runs.bundled!),
      harnessMemory('Go host → TS plugin bundled + code cache (start)', runs.codecache!),
      ...(sea
        ? [
            harnessMemory('Go host → TS plugin single executable (start)', runs.sea!),
            harnessMemory('Go host → TS plugin single executable + snapshot (start)', runs.seasnapshot!),
          ]
        : []),
    ],
    details: {
      perProcess,
      node: peers.runtime.version,
      node_extra_ca_certs: extra ?? null,
      handshake_ms: Object.fromEntries(
        names.map((n) => [n, medianOfRuns(n, exits.has(n) ? 'exit_ms' : 'handshake_ms')]),
      ),
      // spawn → Init answered: what a host waits for; a variant must not move work past the handshake.
      ready_ms: Object.fromEntries(
        names.filter((n) => !exits.has(n)).map((n) => [n, medianOfRuns(n, 'ready_ms')]),
      ),
      breakdown: {
        unbundled: await breakdown(peers, peers.tsPlugin, bRuns, perProcess),
        bundled: await breakdown(peers, peers.tsPluginBundled, bRuns, perProcess),
        bundled_code_cache: await breakdown(peers, peers.tsPluginCodeCache, bRuns, perProcess),
      },
    },
  };
}
