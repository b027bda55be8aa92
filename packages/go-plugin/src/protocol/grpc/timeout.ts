/**
 * The grpc-timeout header: at most 8 digits and a unit (H, M, S, m, u, n).
 */

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

/** Milliseconds per grpc-timeout unit; undefined for anything else. */
function unitMs(unit: number): number | undefined {
  switch (unit) {
    case 0x48: // H
      return 3_600_000;
    case 0x4d: // M
      return 60_000;
    case 0x53: // S
      return 1000;
    case 0x6d: // m
      return 1;
    case 0x75: // u
      return 0.001;
    case 0x6e: // n
      return 0.000_001;
    default:
      return undefined;
  }
}

/**
 * Parses a grpc-timeout value into milliseconds; undefined if malformed.
 * By hand rather than with a regular expression: a server parses one per
 * call, and a match allocates.
 */
export function parseTimeout(value: string): number | undefined {
  const digits = value.length - 1;
  if (digits < 1 || digits > 8) return undefined;
  const unit = unitMs(value.charCodeAt(digits));
  if (unit === undefined) return undefined;
  let n = 0;
  for (let i = 0; i < digits; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n * unit;
}
