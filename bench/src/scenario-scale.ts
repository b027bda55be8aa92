/**
 * Scenario 5: many plugins at once. One host starts N Go plugins
 * concurrently, then kills them all at once: time until all are ready, host
 * RSS and fds per live plugin, and whether the kill left anything behind.
 * The Go host doing the same is the reference.
 */
import type { ScenarioResult, Settings } from './common.js';
import { harness, interleave, metric, num } from './common.js';
import type { Peers } from './prepare.js';
import type { Json } from './proc.js';
import { median, round } from './stats.js';

export async function scenarioScale(peers: Peers, s: Settings): Promise<ScenarioResult> {
  const plugins = s.quick ? 10 : 100;
  const flags = ['-n', String(plugins)];
  const runs = await interleave(
    Math.max(1, Math.ceil(s.rounds / 2)),
    {
      ts: () => harness(peers, 'ts', 'scale', flags, peers.goPlugin),
      go: () => harness(peers, 'go', 'scale', flags, peers.goPlugin),
    },
    s.log,
  );
  const v = (side: 'ts' | 'go', key: string): number[] => runs[side]!.map((j) => num(j, key));
  /** Every plugin started, every one exited after kill and no process is left. */
  const allStopped = (j: Json): boolean =>
    num(j, 'ready') === plugins && num(j, 'exited') === plugins && num(j, 'alive_after_kill') === 0;
  /** The host's fds are back where they were 200 ms after the kills. */
  const fdsBack = (j: Json): boolean => num(j, 'fds_after_kill') <= num(j, 'fds_before');
  const facts = (side: 'ts' | 'go'): Json =>
    Object.fromEntries(
      [
        'all_ready_ms',
        'kill_all_ms',
        'kill_cpu_ms',
        'host_rss_kb_per_plugin',
        'fds_per_plugin',
        'host_rss_kb_before',
        'host_rss_kb_live',
        'fds_before',
        'fds_live',
        'fds_after_kill',
        'plugin_rss_kb_total',
        'host_maxrss_kb',
      ].map((k) => [k, round(median(v(side, k)), 1)]),
    );
  const completed = runs.ts!.every(allStopped) && runs.go!.every(allStopped);
  return {
    id: 's5',
    title: `Scale: ${plugins} Go plugins started concurrently by one host`,
    completed,
    metrics: [
      metric({
        id: 's5.ready',
        label: `all ${plugins} ready: TS host vs Go host`,
        unit: 'ms',
        ts: v('ts', 'all_ready_ms'),
        ref: v('go', 'all_ready_ms'),
        refLabel: 'Go host (go-plugin v1.8.0)',
      }),
      metric({
        id: 's5.rss',
        label: 'host RSS per live plugin (target on the TS value: ≤ 3 MB)',
        unit: 'kB',
        ts: v('ts', 'host_rss_kb_per_plugin'),
        ref: v('go', 'host_rss_kb_per_plugin'),
        refLabel: 'Go host (go-plugin v1.8.0)',
      }),
      metric({
        id: 's5.fds',
        label: 'host open fds per live plugin',
        unit: 'fds',
        ts: v('ts', 'fds_per_plugin'),
        ref: v('go', 'fds_per_plugin'),
        refLabel: 'Go host (go-plugin v1.8.0)',
      }),
      metric({
        id: 's5.kill',
        label: `kill all ${plugins}: TS host vs Go host`,
        unit: 'ms',
        ts: v('ts', 'kill_all_ms'),
        ref: v('go', 'kill_all_ms'),
        refLabel: 'Go host (go-plugin v1.8.0)',
      }),
      metric({
        id: 's5.kill_cpu',
        label: `host CPU (user + system) while killing all ${plugins}: TS host vs Go host`,
        unit: 'ms',
        ts: v('ts', 'kill_cpu_ms'),
        ref: v('go', 'kill_cpu_ms'),
        refLabel: 'Go host (go-plugin v1.8.0)',
      }),
    ],
    memory: [
      { label: `TS host with ${plugins} Go plugins`, hostKB: median(v('ts', 'host_maxrss_kb')) },
      { label: `Go host with ${plugins} Go plugins`, hostKB: median(v('go', 'host_maxrss_kb')) },
    ],
    details: {
      plugins,
      allStartedAndStopped: { ts: runs.ts!.map(allStopped), go: runs.go!.map(allStopped) },
      fdsBackToBaseline: { ts: runs.ts!.map(fdsBack), go: runs.go!.map(fdsBack) },
      ts: facts('ts'),
      go: facts('go'),
      errors: [...runs.ts!, ...runs.go!].map((j) => j.first_error).filter((e) => e),
      ungraceful_kills: { ts: v('ts', 'ungraceful_kills'), go: v('go', 'ungraceful_kills') },
      kill_max_ms: { ts: v('ts', 'kill_max_ms'), go: v('go', 'kill_max_ms') },
      fds_after_kill_vs_before: {
        ts: runs.ts!.map((j) => `${num(j, 'fds_after_kill')}/${num(j, 'fds_before')}`),
        go: runs.go!.map((j) => `${num(j, 'fds_after_kill')}/${num(j, 'fds_before')}`),
      },
    },
  };
}
