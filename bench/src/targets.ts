/**
 * The targets the open issues set (#11: host call path and gateway, #13: TS
 * plugins, #16: cost of metrics), by metric id. Applied when results are
 * rendered, so a saved results file is judged against today's targets
 * (`node bench/dist/report.js bench/results/<date>.json`).
 */
import type { Metric, ScenarioResult, Target } from './common.js';

interface MetricTarget {
  target: Target;
  targetOn?: 'ratio' | 'ts';
}

const atMost = (value: number): MetricTarget => ({ target: { op: '<=', value } });
const atLeast = (value: number): MetricTarget => ({ target: { op: '>=', value } });

const S2_VS_NODE = atMost(1.5);
const S2_VS_GO = atMost(2.5);

export const METRIC_TARGETS: Readonly<Record<string, MetricTarget>> = {
  // #11
  's1.ready.warm': atMost(1.05),
  's1.ready.cold': atMost(1.3),
  's3.p50.ts→go': atMost(1.3),
  's3.p99.ts→go': atMost(1.5),
  's4.c64.ts→go': atLeast(0.9),
  's5.kill': atMost(1.2),
  's5.rss': { target: { op: '<=', value: 3072 }, targetOn: 'ts' },
  's7.rps.c64': atLeast(1.0),
  's7.p99.c64': atMost(1.0),
  // #13
  's2.bundled.node': S2_VS_NODE,
  's2.bundled.go': S2_VS_GO,
  's2.codecache.node': S2_VS_NODE,
  's2.codecache.go': S2_VS_GO,
  's2.sea.node': S2_VS_NODE,
  's2.sea.go': S2_VS_GO,
  's2.seasnapshot.node': S2_VS_NODE,
  's2.seasnapshot.go': S2_VS_GO,
  's3.p50.go→ts': atMost(1.3),
  's3.p99.go→ts': atMost(1.5),
  's4.c64.go→ts': atLeast(0.9),
  's6.total.cold': atMost(1.0),
  's6.total.warm': atMost(1.0),
  // #16
  's7.metrics.rps.c1': atLeast(0.95),
  's7.metrics.rps.c16': atLeast(0.95),
  's7.metrics.rps.c64': atLeast(0.95),
};

/** Peak RSS targets on rows of a scenario's memory table. */
export interface MemoryTarget {
  scenario: string;
  /** The memory row's label. */
  row: string;
  side: 'host' | 'plugin';
  maxMB: number;
  what: string;
}

export const MEMORY_TARGETS: readonly MemoryTarget[] = [
  {
    scenario: 's3',
    row: 'TS host → Go plugin (latency)',
    side: 'host',
    maxMB: 60,
    what: 'TS host peak RSS, sequential calls (#11)',
  },
  {
    scenario: 's4',
    row: 'TS host → Go plugin (throughput)',
    side: 'host',
    maxMB: 60,
    what: 'TS host peak RSS, up to 64 calls in flight (#11)',
  },
  {
    scenario: 's4',
    row: 'Go host → TS plugin (throughput)',
    side: 'plugin',
    maxMB: 60,
    what: 'TS plugin peak RSS, up to 64 calls in flight (#13)',
  },
  {
    scenario: 's6',
    row: 'TS verify + unpack process',
    side: 'host',
    maxMB: 64,
    what: 'verify + unpack peak RSS (#13)',
  },
];

function judge(m: Metric, t: MetricTarget): Metric {
  const value = t.targetOn === 'ts' ? m.ts.median : m.ratio.ratio;
  const pass = t.target.op === '<=' ? value <= t.target.value : value >= t.target.value;
  const { targetOn: _old, ...rest } = m;
  return { ...rest, target: t.target, ...(t.targetOn ? { targetOn: t.targetOn } : {}), pass };
}

/** The scenario with every metric judged against METRIC_TARGETS (metrics not listed have none). */
export function applyTargets(s: ScenarioResult): ScenarioResult {
  return {
    ...s,
    metrics: s.metrics.map((m) => {
      const t = METRIC_TARGETS[m.id];
      if (t) return judge(m, t);
      const { target: _t, pass: _p, targetOn: _o, ...rest } = m;
      return rest;
    }),
  };
}

/** Peak RSS in kB of a memory target's row, when the scenario has it. */
export function memoryValue(s: ScenarioResult | undefined, t: MemoryTarget): number | undefined {
  const row = s?.memory.find((m) => m.label === t.row);
  return t.side === 'host' ? row?.hostKB : row?.pluginKB;
}
