/**
 * hclog's JSON log lines: what Go plugins write to stderr and what go-plugin
 * hosts parse. The writer is used by our plugins; the reader by our host,
 * with go-plugin's rules (and without its crashes on odd input).
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export const levelRank = (level: LogLevel): number => LOG_LEVELS.indexOf(level);

/** hclog.LevelFromString: trimmed, case-insensitive; anything else is no level. */
export function levelFromString(s: string): LogLevel | undefined {
  const l = s.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(l) ? (l as LogLevel) : undefined;
}

/** Key/values attached to a line; an Error is written as its message, like hclog does. */
export type LogFields = Record<string, unknown>;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `2006-01-02T15:04:05.000000Z07:00` in UTC, with microseconds. */
export function formatHclogTime(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const micros = Math.floor((epochMs - whole) * 1000);
  const d = new Date(whole);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}` +
    `.${pad(d.getUTCMilliseconds(), 3)}${pad(micros, 3)}Z`
  );
}

/** Where preciseNow's clock starts: taken on first use in each process (a startup snapshot may hold the builder's). */
let anchor: { pid: number; wallMs: number; hr: bigint } | undefined;

/**
 * Wall clock with sub-millisecond precision: a monotonic clock anchored to the wall clock once. Not
 * `performance`, whose first use loads node:perf_hooks: ~1 ms of every plugin's start-up, which logs.
 */
export function preciseNow(): number {
  const now = process.hrtime.bigint();
  if (anchor?.pid !== process.pid) anchor = { pid: process.pid, wallMs: Date.now(), hr: now };
  return anchor.wallMs + Number(now - anchor.hr) / 1e6;
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** Go's json.Encoder escapes these even inside strings; so do we, for identical bytes. */
function escapeLikeGo(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export interface LogEntry {
  level: LogLevel;
  message: string;
  module?: string;
  fields?: LogFields;
  /** Epoch ms, fractional allowed. Default now. */
  time?: number;
}

/** One hclog JSON line (no newline). Keys sorted, as Go's encoder writes a map. */
export function formatHclogLine(entry: LogEntry): string {
  const record: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry.fields ?? {})) record[k] = jsonValue(v);
  record['@level'] = entry.level;
  record['@message'] = entry.message;
  if (entry.module) record['@module'] = entry.module;
  record['@timestamp'] = formatHclogTime(entry.time ?? preciseNow());
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key];
  return escapeLikeGo(JSON.stringify(sorted));
}

export interface ParsedLogLine {
  level: LogLevel;
  message: string;
  /** `@module` of a JSON line. */
  module?: string;
  /** `@timestamp` of a JSON line, as written. */
  timestamp?: string;
  /** Remaining keys of a JSON line. */
  fields: LogFields;
  /** True for a JSON line carrying a recognised `@level`. */
  structured: boolean;
}

const HCLOG_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

const PREFIXES: ReadonlyArray<[string, LogLevel]> = [
  ['[TRACE]', 'trace'],
  ['[DEBUG]', 'debug'],
  ['[INFO]', 'info'],
  ['[WARN]', 'warn'],
  ['[ERROR]', 'error'],
];

type JsonObject = Record<string, unknown>;

function parseJsonObject(line: string): JsonObject | null | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as JsonObject;
}

/**
 * Classifies plugin stderr lines the way go-plugin v1.8.0 does: hclog JSON
 * keeps its level and fields; text lines take a `[LEVEL]` prefix or fall to
 * debug; after a `panic: ` / `fatal error: ` line, untagged lines are errors.
 * Stateful because of that panic mode: use one per plugin process.
 */
export class StderrClassifier {
  private inPanic = false;

  classify(line: string): ParsedLogLine {
    const json = parseJsonObject(line);
    if (json !== undefined) {
      const entry = this.fromJson(line, json);
      if (entry) return entry;
    }
    return this.fromText(line);
  }

  private fromJson(line: string, obj: JsonObject | null): ParsedLogLine | undefined {
    const fields: LogFields = { ...obj };
    const message = fields['@message'];
    const level = fields['@level'];
    const timestamp = fields['@timestamp'];
    // go-plugin would crash on non-string values; we read such lines as text instead.
    if (message !== undefined && typeof message !== 'string') return undefined;
    if (level !== undefined && typeof level !== 'string') return undefined;
    if (timestamp !== undefined && (typeof timestamp !== 'string' || !HCLOG_TIME.test(timestamp)))
      return undefined;
    delete fields['@message'];
    delete fields['@level'];
    delete fields['@timestamp'];
    if (level === undefined && message === undefined) return fromOtherShape(line, obj);
    const known = typeof level === 'string' ? levelFromString(level) : undefined;
    if (!known) return { level: 'debug', message: line, fields: {}, structured: false };
    const module = fields['@module'];
    delete fields['@module'];
    return {
      level: known,
      message: message ?? '',
      module: typeof module === 'string' ? module : undefined,
      timestamp,
      fields,
      structured: true,
    };
  }

  private fromText(line: string): ParsedLogLine {
    for (const [prefix, level] of PREFIXES) {
      if (line.startsWith(prefix)) return { level, message: line, fields: {}, structured: false };
    }
    if (line.startsWith('panic: ') || line.startsWith('fatal error: ')) this.inPanic = true;
    return { level: this.inPanic ? 'error' : 'debug', message: line, fields: {}, structured: false };
  }
}

// ---- JSON log lines of other libraries ---------------------------------------

/**
 * Level names other logging libraries write (logrus, zap, pino, bunyan,
 * winston, slog, structlog, Rust's tracing, …), lower-cased, mapped to ours.
 * Levels above error (fatal, panic, critical) are errors.
 */
const LEVEL_NAMES: Readonly<Record<string, LogLevel>> = {
  trace: 'trace',
  trc: 'trace',
  verbose: 'trace',
  debug: 'debug',
  dbg: 'debug',
  info: 'info',
  information: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  fatal: 'error',
  panic: 'error',
  dpanic: 'error',
  critical: 'error',
  crit: 'error',
  alert: 'error',
  emergency: 'error',
};

/** pino and bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal (custom levels in between round up). */
function numericLevel(n: number): LogLevel | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  if (n <= 10) return 'trace';
  if (n <= 20) return 'debug';
  if (n <= 30) return 'info';
  if (n <= 40) return 'warn';
  return 'error';
}

function otherLevel(value: unknown): LogLevel | undefined {
  if (typeof value === 'number') return numericLevel(value);
  if (typeof value !== 'string' || value.length > 16) return undefined;
  return LEVEL_NAMES[value.trim().toLowerCase()];
}

const LEVEL_KEYS = ['level', 'severity'] as const;
const MESSAGE_KEYS = ['msg', 'message'] as const;
const TIME_KEYS = ['time', 'ts', 'timestamp'] as const;

/** A JSON time: pino's epoch ms, zap's epoch seconds, or a string as written. */
function timeText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return undefined;
  const ms = value > 1e11 ? value : value * 1000;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * A JSON line without hclog's `@level`/`@message`: the `level` (or
 * `severity`) key as logrus, zap, pino, bunyan, slog and others write it,
 * numeric pino levels included; the message from `msg` or `message` (or
 * Rust tracing's `fields.message`). The time, if any, is kept as
 * `timestamp`; every other key stays a field. Unknown shapes are text.
 */
function fromOtherShape(line: string, obj: JsonObject | null): ParsedLogLine | undefined {
  if (obj === null) return undefined;
  let level: LogLevel | undefined;
  let levelKey: string | undefined;
  for (const key of LEVEL_KEYS) {
    level = otherLevel(obj[key]);
    if (level) {
      levelKey = key;
      break;
    }
  }
  if (!level || !levelKey) return undefined;
  const fields: LogFields = { ...obj };
  delete fields[levelKey];
  let message = '';
  const messageKey = MESSAGE_KEYS.find((k) => typeof obj[k] === 'string');
  if (messageKey) {
    message = obj[messageKey] as string;
    delete fields[messageKey];
  } else {
    const nested = obj.fields;
    if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
      const { message: m, ...rest } = nested as JsonObject;
      if (typeof m === 'string') {
        message = m;
        fields.fields = rest;
      }
    }
  }
  let timestamp: string | undefined;
  for (const key of TIME_KEYS) {
    if (obj[key] === undefined) continue;
    timestamp = timeText(obj[key]);
    if (timestamp !== undefined) {
      delete fields[key];
      break;
    }
  }
  // No message key: the line itself is the message (its level still counts).
  if (!message) return { level, message: line, timestamp, fields: {}, structured: true };
  return { level, message, timestamp, fields, structured: true };
}
