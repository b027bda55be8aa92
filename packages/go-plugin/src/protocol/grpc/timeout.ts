/**
 * The grpc-timeout header: at most 8 digits and a unit (H, M, S, m, u, n).
 */

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };
const MAX_VALUE = 99_999_999;

/** Encodes a timeout in milliseconds, in the finest unit that fits (rounded up). */
export function encodeTimeout(ms: number): string {
  const t = Math.max(0, ms);
  const micros = Math.ceil(t * 1000);
  if (micros <= MAX_VALUE) return `${micros}u`;
  const whole = Math.ceil(t);
  if (whole <= MAX_VALUE) return `${whole}m`;
  const seconds = Math.ceil(t / 1000);
  if (seconds <= MAX_VALUE) return `${seconds}S`;
  const minutes = Math.ceil(t / 60_000);
  if (minutes <= MAX_VALUE) return `${minutes}M`;
  return `${Math.min(Math.ceil(t / 3_600_000), MAX_VALUE)}H`;
}

/** Parses a grpc-timeout value into milliseconds; undefined if malformed. */
export function parseTimeout(value: string): number | undefined {
  const m = /^([0-9]{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}
