/**
 * Recent call rate and p99 latency of one provider, for the status page's
 * chart: calls are counted into latency buckets as they end (an increment),
 * and each sample turns what arrived since the previous one into calls/s and
 * an estimated p99 (interpolated within its bucket, as Prometheus's
 * histogram_quantile does).
 */

export interface HistorySample {
  /** Epoch ms at the end of the interval. */
  t: number;
  callsPerSecond: number;
  /** Null when no call ended in the interval. */
  p99Ms: number | null;
}

export class LatencyHistory {
  private readonly counts: Float64Array;
  private readonly last: Float64Array;
  private lastAt: number | undefined;
  private readonly kept: HistorySample[] = [];

  /** `bounds`: upper bounds in seconds, ascending; one more bucket holds everything above. */
  constructor(
    private readonly bounds: readonly number[],
    private readonly size: number,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
    this.last = new Float64Array(bounds.length + 1);
  }

  record(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[i]!++;
  }

  /** Closes the interval ending at `at` (the first call only sets the start). */
  sample(at: number): void {
    if (this.lastAt === undefined || at <= this.lastAt) {
      this.lastAt ??= at;
      this.last.set(this.counts);
      return;
    }
    const delta = this.counts.map((c, i) => c - this.last[i]!);
    const total = delta.reduce((a, c) => a + c, 0);
    this.kept.push({
      t: at,
      callsPerSecond: total / ((at - this.lastAt) / 1000),
      p99Ms: total === 0 ? null : quantile(0.99, delta, this.bounds, total) * 1000,
    });
    if (this.kept.length > this.size) this.kept.shift();
    this.last.set(this.counts);
    this.lastAt = at;
  }

  samples(): readonly HistorySample[] {
    return this.kept;
  }
}

/** The q-quantile of bucket counts; values past the last bound are reported as the last bound. */
export function quantile(
  q: number,
  counts: ArrayLike<number>,
  bounds: readonly number[],
  total: number,
): number {
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const c = counts[i]!;
    if (below + c >= rank && c > 0) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + (bounds[i]! - lower) * ((rank - below) / c);
    }
    below += c;
  }
  return bounds[bounds.length - 1]!;
}
