/**
 * Scenarios 3 and 4: calls on a running plugin (Greeting, over AutoMTLS on a
 * unix socket).
 * 3. Sequential unary latency p50/p99 (small message).
 * 4. Throughput with 1, 16 and 64 calls in flight; 1 MiB round trip.
 * Pairs: TS host → Go plugin vs Go host → Go plugin (the targets), and for
 * context TS host → TS plugin and Go host → TS plugin (bundled, as shipped).
 */
import type { Metric, ScenarioResult, Settings } from './common.js';
import { harness, interleave, metric, num } from './common.js';
import { harnessMemory } from './scenario-start.js';
import type { Peers } from './prepare.js';
import type { Json } from './proc.js';

type Pair = 'ts→go' | 'go→go' | 'ts→ts' | 'go→ts';

function pairs(peers: Peers, command: string, flags: string[]): Record<Pair, () => Promise<Json>> {
  return {
    'ts→go': () => harness(peers, 'ts', command, flags, peers.goPlugin),
    'go→go': () => harness(peers, 'go', command, flags, peers.goPlugin),
    'ts→ts': () => harness(peers, 'ts', command, flags, peers.tsPluginBundled),
    'go→ts': () => harness(peers, 'go', command, flags, peers.tsPluginBundled),
  };
}

const REF = 'Go host → Go plugin';
const LABEL: Record<Pair, string> = {
  'ts→go': 'TS host → Go plugin',
  'go→go': REF,
  'ts→ts': 'TS host → TS plugin',
  'go→ts': 'Go host → TS plugin',
};

function memory(runs: Record<string, Json[]>, what: string): ScenarioResult['memory'] {
  return (Object.keys(LABEL) as Pair[]).map((p) => harnessMemory(`${LABEL[p]} (${what})`, runs[p]!));
}

export async function scenarioLatency(peers: Peers, s: Settings): Promise<ScenarioResult> {
  const n = s.quick ? 300 : 10_000;
  const flags = ['-n', String(n), '-warmup', String(s.quick ? 100 : 1000)];
  const runs = await interleave(s.rounds, pairs(peers, 'latency', flags), s.log);
  const us = (p: Pair, key: string): number[] => runs[p]!.map((j) => num(j, key));
  const metrics: Metric[] = [];
  for (const key of ['p50_us', 'p99_us'] as const) {
    for (const p of ['ts→go', 'ts→ts', 'go→ts'] as const) {
      metrics.push(
        metric({
          id: `s3.${key.slice(0, 3)}.${p}`,
          label: `unary ${key.slice(0, 3)}: ${LABEL[p]} vs ${REF}`,
          unit: 'µs',
          ts: us(p, key),
          ref: us('go→go', key),
          refLabel: REF,
        }),
      );
    }
  }
  const detail = (p: Pair): Json =>
    Object.fromEntries(
      ['p50_us', 'p90_us', 'p99_us', 'p999_us', 'max_us', 'mean_us'].map((k) => [k, us(p, k)]),
    );
  return {
    id: 's3',
    title: `Unary call latency (${n.toLocaleString('en')} sequential calls, small message)`,
    completed: true,
    metrics,
    memory: memory(runs, 'latency'),
    details: {
      calls: n,
      perRound: Object.fromEntries((Object.keys(LABEL) as Pair[]).map((p) => [p, detail(p)])),
    },
  };
}

export async function scenarioThroughput(peers: Peers, s: Settings): Promise<ScenarioResult> {
  const durationMs = s.quick ? 300 : 2000;
  const conc = [1, 16, 64];
  const tFlags = ['-c', conc.join(','), '-duration', s.quick ? '300ms' : '2s'];
  // The Go harness takes a Go duration, ours milliseconds.
  const tsFlags = ['-c', conc.join(','), '-duration', String(durationMs)];
  const tp: Record<Pair, () => Promise<Json>> = {
    'ts→go': () => harness(peers, 'ts', 'throughput', tsFlags, peers.goPlugin),
    'go→go': () => harness(peers, 'go', 'throughput', tFlags, peers.goPlugin),
    'ts→ts': () => harness(peers, 'ts', 'throughput', tsFlags, peers.tsPluginBundled),
    'go→ts': () => harness(peers, 'go', 'throughput', tFlags, peers.tsPluginBundled),
  };
  const runs = await interleave(s.rounds, tp, s.log);
  const rate = (p: Pair, c: number): number[] =>
    runs[p]!.map((j) => {
      const row = (j.rates as Json[]).find((r) => r.concurrency === c);
      if (!row) throw new Error(`no rate for ${c} in flight`);
      return num(row, 'per_sec');
    });
  const metrics: Metric[] = [];
  for (const c of conc) {
    for (const p of ['ts→go', 'ts→ts', 'go→ts'] as const) {
      metrics.push(
        metric({
          id: `s4.c${c}.${p}`,
          label: `throughput, ${c} in flight: ${LABEL[p]} vs ${REF}`,
          unit: 'calls/s',
          ts: rate(p, c),
          ref: rate('go→go', c),
          refLabel: REF,
        }),
      );
    }
  }

  const bigN = s.quick ? 3 : 20;
  const bigRuns = await interleave(
    s.rounds,
    pairs(peers, 'big', ['-n', String(bigN), '-size', String(1 << 20)]),
    s.log,
  );
  for (const p of ['ts→go', 'ts→ts', 'go→ts'] as const) {
    metrics.push(
      metric({
        id: `s4.1mib.${p}`,
        label: `1 MiB round trip p50: ${LABEL[p]} vs ${REF}`,
        unit: 'µs',
        ts: bigRuns[p]!.map((j) => num(j, 'p50_us')),
        ref: bigRuns['go→go']!.map((j) => num(j, 'p50_us')),
        refLabel: REF,
      }),
    );
  }
  return {
    id: 's4',
    title: 'Throughput (calls in flight) and 1 MiB round trip',
    completed: true,
    metrics,
    memory: [...memory(runs, 'throughput'), ...memory(bigRuns, '1 MiB')],
    details: {
      durationMs,
      bigCalls: bigN,
      perRound: Object.fromEntries(
        (Object.keys(LABEL) as Pair[]).map((p) => [
          p,
          Object.fromEntries(conc.map((c) => [`c${c}`, rate(p, c)])),
        ]),
      ),
    },
  };
}
