/** Shared by the scenarios: settings, interleaving, harness calls and the result shapes. */
import type { Peers } from './prepare.js';
import { runHarness } from './proc.js';
import type { Json } from './proc.js';
import type { Ratio, Spread } from './stats.js';
import { pairedRatio, spread } from './stats.js';

export interface Settings {
  quick: boolean;
  /** Interleaved rounds per comparison. */
  rounds: number;
  log: (line: string) => void;
}

export interface Target {
  op: '<=' | '>=';
  value: number;
}

/** One compared quantity: TS and reference medians over rounds, and their paired ratio. */
export interface Metric {
  id: string;
  label: string;
  unit: string;
  ts: Spread;
  ref: Spread;
  /** What the reference is (e.g. "Go host v1.8.0"). */
  refLabel: string;
  ratio: Ratio;
  target?: Target;
  /** What the target applies to: the ratio (default), or the TS median itself (e.g. MB per plugin). */
  targetOn?: 'ratio' | 'ts';
  pass?: boolean;
  note?: string;
}

export interface MemoryRow {
  label: string;
  /** Peak RSS in kB (median over rounds). */
  hostKB?: number;
  pluginKB?: number;
  /** Peak anonymous RSS in kB, sampled every 50 ms (median over rounds): the process's own memory. */
  hostAnonKB?: number;
  pluginAnonKB?: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  metrics: Metric[];
  memory: MemoryRow[];
  /** Scenario-specific extra facts (phases, breakdowns, raw per-round values). */
  details: Json;
  completed: boolean;
}

export function metric(
  m: Omit<Metric, 'ts' | 'ref' | 'ratio' | 'pass'> & { ts: number[]; ref: number[] },
): Metric {
  const ratio = pairedRatio(m.ts, m.ref);
  const ts = spread(m.ts);
  const value = m.targetOn === 'ts' ? ts.median : ratio.ratio;
  const pass =
    m.target === undefined
      ? undefined
      : m.target.op === '<='
        ? value <= m.target.value
        : value >= m.target.value;
  return { ...m, ts, ref: spread(m.ref), ratio, ...(pass === undefined ? {} : { pass }) };
}

/**
 * Runs every variant once per round, rotating the order each round (A B, then
 * B A, …) so neither side always runs first on a warming or throttling
 * machine. Returns each variant's results in round order.
 */
export async function interleave<T>(
  rounds: number,
  variants: Record<string, () => Promise<T>>,
  log?: (line: string) => void,
): Promise<Record<string, T[]>> {
  const names = Object.keys(variants);
  const out: Record<string, T[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const name of order) {
      log?.(`  round ${r + 1}/${rounds}: ${name}`);
      out[name]!.push(await variants[name]!());
    }
  }
  return out;
}

export type HarnessKind = 'go' | 'ts';

/** One harness process: `<go|ts harness> <command> <flags> -- <plugin command>`. */
export async function harness(
  peers: Peers,
  kind: HarnessKind,
  command: string,
  flags: string[],
  plugin: string[],
  env?: NodeJS.ProcessEnv,
): Promise<Json> {
  const [bin, ...pre] = kind === 'go' ? [peers.goHarness] : peers.tsHarness;
  const extra = kind === 'ts' && command === 'scale' ? ['--expose-gc'] : [];
  const args = [...extra, ...pre, command, ...flags, '--', ...plugin];
  return (await runHarness(bin!, args, env ? { env } : {})).json;
}

export const num = (j: Json, key: string): number => {
  const v = j[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`field ${key} is not a number: ${String(v)}`);
  return v;
};

export const samplesOf = (j: Json): Json[] => {
  const s = j.samples;
  if (!Array.isArray(s) || s.length === 0) throw new Error('harness printed no samples');
  return s as Json[];
};
