/**
 * Scenario 3c: why qplugin has its own gRPC client. Our typed client, a
 * hand-written floor on node:http2, and grpc-js (the previous stack), on the
 * same Go plugin and socket, in one process per round (bench/src/ts-clients.ts).
 */
import type { Metric, ScenarioResult, Settings } from './common.js';
import { metric } from './common.js';
import type { Peers } from './prepare.js';
import { runHarness } from './proc.js';
import type { Json } from './proc.js';

type Stack = 'ours' | 'floor' | 'grpc-js';

export async function scenarioClientStacks(peers: Peers, s: Settings): Promise<ScenarioResult> {
  const flags = s.quick ? ['-n', '200', '-duration', '200'] : ['-n', '5000', '-duration', '1500'];
  const [node, ...pre] = peers.tsHarness;
  const script = pre[pre.length - 1]!.replace(/ts-host\.js$/, 'ts-clients.js');
  const rounds: Record<Stack, Record<string, number>>[] = [];
  for (let r = 0; r < s.rounds; r++) {
    s.log(`  round ${r + 1}/${s.rounds}: ours, floor, grpc-js`);
    const { json } = await runHarness(node!, [
      ...pre.slice(0, -1),
      script,
      ...flags,
      '--',
      ...peers.goPlugin,
    ]);
    rounds.push(json as unknown as Record<Stack, Record<string, number>>);
  }
  const series = (stack: Stack, key: string): number[] => rounds.map((r) => r[stack][key]!);
  const metrics: Metric[] = [];
  for (const [key, label, unit] of [
    ['p50_us', 'unary p50', 'µs'],
    ['p99_us', 'unary p99', 'µs'],
    ['c1', 'calls/s, 1 in flight', 'calls/s'],
    ['c16', 'calls/s, 16 in flight', 'calls/s'],
    ['c64', 'calls/s, 64 in flight', 'calls/s'],
  ] as const) {
    for (const other of ['grpc-js', 'floor'] as const) {
      metrics.push(
        metric({
          id: `s3c.${key}.${other}`,
          label: `${label}: qplugin's client vs ${other === 'floor' ? 'a hand-written node:http2 call' : 'grpc-js'}`,
          unit,
          ts: series('ours', key),
          ref: series(other, key),
          refLabel: other,
        }),
      );
    }
  }
  return {
    id: 's3c',
    title: 'Client stacks on one Go plugin: qplugin’s gRPC client, the node:http2 floor, grpc-js',
    completed: true,
    metrics,
    memory: [],
    details: { perRound: rounds as unknown as Json },
  };
}
