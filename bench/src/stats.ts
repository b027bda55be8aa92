/** Small statistics for noisy machines: medians and spreads, never means of wall times. */

/** Nearest-rank percentile of an unsorted sample (p in 0..1). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(p * sorted.length) - 1));
  return sorted[i]!;
}

export const median = (values: readonly number[]): number => percentile(values, 0.5);

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Interquartile range, p25..p75. */
  p25: number;
  p75: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    p25: percentile(values, 0.25),
    p75: percentile(values, 0.75),
    n: values.length,
  };
}

/**
 * Ratio of two paired series (TS ÷ reference). Each round gives one ratio of
 * its own two measurements, taken back to back, so slow phases of the
 * machine hit both; the ratio is the median of those, with their range.
 */
export interface Ratio {
  ratio: number;
  min: number;
  max: number;
  rounds: number;
}

export function pairedRatio(ts: readonly number[], ref: readonly number[]): Ratio {
  const n = Math.min(ts.length, ref.length);
  const r: number[] = [];
  for (let i = 0; i < n; i++) r.push(ts[i]! / ref[i]!);
  return { ratio: median(r), min: Math.min(...r), max: Math.max(...r), rounds: n };
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
