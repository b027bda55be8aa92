/**
 * A small seeded fuzzer for tests: a reproducible PRNG, byte/string
 * mutators, and a driver that runs a bounded number of cases and reports the
 * seed, the case and the input when a check fails, so that any failure can
 * be replayed (FUZZ_SEED) and kept as a regression case.
 *
 * Seeds: FUZZ_SEED when set (decimal or 0x-hex), else a fresh one per run so
 * CI keeps exploring; the seed is always in the failure message. FUZZ_CASE
 * replays one case of that seed alone. FUZZ_SCALE (default 1) multiplies
 * every case budget for longer local runs.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** sfc32: small, fast, good enough statistically, and trivially reproducible from a 32-bit seed. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.next() / 0x1_0000_0000) * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** Mostly small sizes, sometimes large: the distribution bugs hide in. */
  size(max: number): number {
    const r = this.int(10);
    if (r < 6) return this.int(Math.min(8, max + 1));
    if (r < 9) return this.int(Math.min(64, max + 1));
    return this.int(max + 1);
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** A string from a mix of ASCII, controls, Latin-1, BMP, astral and lone-surrogate code units. */
  text(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) {
      const kind = this.int(10);
      if (kind < 5) out += String.fromCharCode(this.range(0x20, 0x7e));
      else if (kind === 5) out += String.fromCharCode(this.int(0x20));
      else if (kind === 6) out += String.fromCharCode(this.range(0x80, 0xff));
      else if (kind === 7) out += String.fromCharCode(this.range(0x100, 0xd7ff));
      else if (kind === 8) out += String.fromCodePoint(this.range(0x10000, 0x10ffff));
      else out += String.fromCharCode(this.range(0xd800, 0xdfff));
    }
    return out;
  }
}

/** The run's seed: FUZZ_SEED, else random. */
export function fuzzSeed(): number {
  const fixed = process.env.FUZZ_SEED;
  if (fixed !== undefined && fixed !== '') {
    const value = Number(fixed);
    if (!Number.isInteger(value))
      throw new Error(`FUZZ_SEED must be an integer, not ${JSON.stringify(fixed)}`);
    return value >>> 0;
  }
  return (Math.random() * 0x1_0000_0000) >>> 0;
}

/** True when FUZZ_CASE replays a single case: checks on the spread of outcomes do not apply. */
export function replayingOneCase(): boolean {
  return Boolean(process.env.FUZZ_CASE);
}

/** A case budget scaled by FUZZ_SCALE (for longer local runs). */
export function fuzzCases(base: number): number {
  const scale = Number(process.env.FUZZ_SCALE ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** Mutates bytes: bit flips, interesting bytes, deletions, duplications, splices, truncation. */
export function mutateBytes(rng: Rng, input: Uint8Array, dictionary: readonly Uint8Array[] = []): Buffer {
  let out = Buffer.from(input);
  const rounds = rng.range(1, 4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(out.length + 1);
    switch (rng.int(dictionary.length > 0 ? 9 : 8)) {
      case 0: // flip a bit
        if (out.length > 0) {
          const i = rng.int(out.length);
          out[i] = out[i]! ^ (1 << rng.int(8));
        }
        break;
      case 1: // an interesting byte
        if (out.length > 0)
          out[rng.int(out.length)] = rng.pick([0, 0x0a, 0x0d, 0x22, 0x5c, 0x7c, 0x7f, 0x80, 0xff, 0xc0]);
        break;
      case 2: // delete a run
        out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + rng.size(32) + 1))]);
        break;
      case 3: // duplicate a run
        {
          const end = Math.min(out.length, at + rng.size(32) + 1);
          out = Buffer.concat([out.subarray(0, end), out.subarray(at, end), out.subarray(end)]);
        }
        break;
      case 4: // insert random bytes
        out = Buffer.concat([out.subarray(0, at), rng.bytes(rng.size(16) + 1), out.subarray(at)]);
        break;
      case 5: // truncate
        out = out.subarray(0, at);
        break;
      case 6: // repeat a run many times (size blow-up)
        {
          const end = Math.min(out.length, at + rng.size(8) + 1);
          const piece = out.subarray(at, end);
          const copies = Buffer.concat(Array.from({ length: rng.range(2, 2000) }, () => piece));
          out = Buffer.concat([out.subarray(0, at), copies, out.subarray(end)]);
        }
        break;
      case 7: // swap two runs
        if (out.length > 2) {
          const a = rng.int(out.length);
          const b = rng.int(out.length);
          const [lo, hi] = a < b ? [a, b] : [b, a];
          out = Buffer.concat([out.subarray(hi), out.subarray(lo, hi), out.subarray(0, lo)]);
        }
        break;
      default: // a dictionary token
        out = Buffer.concat([out.subarray(0, at), rng.pick(dictionary), out.subarray(at)]);
    }
  }
  return out;
}

/** mutateBytes on UTF-8 text; the result may be invalid UTF-8 and is decoded with replacement. */
export function mutateText(rng: Rng, input: string, dictionary: readonly string[] = []): string {
  const dict = dictionary.map((token) => Buffer.from(token));
  return mutateBytes(rng, Buffer.from(input), dict).toString('utf8');
}

export interface FuzzStats {
  seed: number;
  cases: number;
  /** Outcome label → count (e.g. `ok`, or an error code), to show what the cases reached. */
  outcomes: Record<string, number>;
  ms: number;
  /** The slowest case (negative index: a kept regression), to spot inputs that cost too much. */
  slowest: { index: number; ms: number };
}

export interface FuzzTarget<T> {
  name: string;
  cases: number;
  seed?: number;
  /** Inputs that once failed (kept after the fix): run first, every time, whatever the seed. */
  regressions?: readonly T[];
  generate(rng: Rng, index: number): T;
  /** Runs one case; returns an outcome label, or throws when the target misbehaved. */
  check(input: T, index: number): string | Promise<string>;
  /** How to show an input in the failure message (default: JSON.stringify). */
  show?(input: T): string;
}

/** Thrown when a case fails: carries everything needed to replay it. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
  constructor(
    message: string,
    readonly seed: number,
    readonly index: number,
    readonly inputFile: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

function render(text: string, max = 1500): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/**
 * Runs `cases` generated inputs through `check`, one after another. Each case
 * gets its own PRNG derived from (seed, index), so a failing case replays
 * alone with the same seed whatever the others did.
 */
export async function runFuzz<T>(target: FuzzTarget<T>): Promise<FuzzStats> {
  const seed = (target.seed ?? fuzzSeed()) >>> 0;
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  const fail = (err: unknown, input: T, what: string, replay: string, index: number): FuzzFailure => {
    let shown: string;
    try {
      shown = target.show ? target.show(input) : (JSON.stringify(input) ?? String(input));
    } catch {
      shown = String(input);
    }
    let inputFile: string | undefined;
    try {
      inputFile = join(tmpdir(), `fuzz-${target.name}-seed${seed}-${what.replace(/\W+/g, '-')}.txt`);
      writeFileSync(inputFile, shown);
    } catch {
      inputFile = undefined;
    }
    const why = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return new FuzzFailure(
      `fuzz ${target.name}: ${what} failed (seed ${seed}; ${replay})\n` +
        `input${inputFile ? ` (whole: ${inputFile})` : ''}: ${render(shown)}\n${why}`,
      seed,
      index,
      inputFile,
      { cause: err },
    );
  };
  const slowest = { index: 0, ms: 0 };
  const run = async (input: T, index: number): Promise<void> => {
    const began = performance.now();
    const outcome = await target.check(input, index);
    const ms = performance.now() - began;
    if (ms > slowest.ms) Object.assign(slowest, { index, ms });
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };

  for (const [i, input] of (target.regressions ?? []).entries()) {
    try {
      await run(input, -1 - i);
    } catch (err) {
      throw fail(err, input, `regression case ${i}`, 'a kept input: fix the regression', -1 - i);
    }
  }
  const only = process.env.FUZZ_CASE ? Number(process.env.FUZZ_CASE) : undefined;
  for (let index = only ?? 0; index < (only === undefined ? target.cases : only + 1); index++) {
    const rng = new Rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    const input = target.generate(rng, index);
    try {
      await run(input, index);
    } catch (err) {
      throw fail(err, input, `case ${index}`, `replay with FUZZ_SEED=${seed} FUZZ_CASE=${index}`, index);
    }
  }
  const cases = Object.values(outcomes).reduce((sum, n) => sum + n, 0);
  return { seed, cases, outcomes, ms: performance.now() - started, slowest };
}

/** One line for the test log: `handshake: 4000 cases in 312 ms, seed 123 (ok 812, HANDSHAKE_BAD_LINE 1003, ...)`. */
export function describeStats(name: string, stats: FuzzStats): string {
  const parts = Object.entries(stats.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([label, count]) => `${label} ${count}`);
  const slow = `slowest case ${stats.slowest.index}: ${Math.round(stats.slowest.ms)} ms`;
  return `${name}: ${stats.cases} cases in ${Math.round(stats.ms)} ms, seed ${stats.seed}, ${slow} (${parts.join(', ')})`;
}
