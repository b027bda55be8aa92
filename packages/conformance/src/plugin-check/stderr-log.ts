/**
 * What go-plugin hosts make of the plugin's stderr. hclog JSON
 * lines keep their level and fields; `[LEVEL]`-prefixed text keeps its
 * level; anything else is logged at DEBUG (hidden at geth's default
 * verbosity). A JSON line whose @message, @level or @timestamp is not a
 * string crashes a Go host (unchecked type assertion), and a @timestamp
 * without exactly six fractional digits makes the line count as text.
 */
import { Point, quote } from '../points.js';

const HCLOG_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
const PREFIX = /^\[(TRACE|DEBUG|INFO|WARN|ERROR)\]/;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];
const MAX_LINE = 64 * 1024;

const FIX_JSON =
  'Write hclog JSON lines: {"@level":"info","@message":"text","@timestamp":"2006-01-02T15:04:05.000000Z",...} with string values and exactly six fractional digits in @timestamp (JS toISOString() has three).';

function jsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function checkStderrLog(lines: readonly string[]): Point {
  const point = new Point('stderr-log', 'stderr log format');
  const counts = { json: 0, jsonNoLevel: 0, prefixed: 0, plain: 0 };
  const nonString: string[] = [];
  const badTime: string[] = [];
  const tooLong: string[] = [];
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    if (line.length > MAX_LINE) tooLong.push(line);
    const obj = jsonObject(line);
    if (!obj) {
      if (PREFIX.test(line)) counts.prefixed++;
      else counts.plain++;
      continue;
    }
    const wrong = ['@message', '@level', '@timestamp'].filter((k) => k in obj && typeof obj[k] !== 'string');
    if (wrong.length > 0) {
      nonString.push(`${wrong.join(', ')} in ${quote(line, 100)}`);
      continue;
    }
    const ts = obj['@timestamp'];
    if (typeof ts === 'string' && !HCLOG_TIME.test(ts)) {
      badTime.push(ts);
      continue;
    }
    const level = obj['@level'];
    if (typeof level === 'string' && LEVELS.includes(level.trim().toLowerCase())) counts.json++;
    else counts.jsonNoLevel++;
  }
  if (nonString.length > 0) {
    point.warn(
      'LOG-1',
      `${nonString.length} JSON line(s) with a non-string ${nonString[0]}: go-plugin hosts crash on these`,
      FIX_JSON,
    );
  }
  if (badTime.length > 0) {
    point.warn(
      'LOG-1',
      `${badTime.length} JSON line(s) with @timestamp ${quote(badTime[0]!)} not in hclog's format (6 fractional digits): go-plugin logs the whole line as text at DEBUG`,
      FIX_JSON,
    );
  }
  if (tooLong.length > 0) {
    point.warn(
      'LOG-1',
      `${tooLong.length} line(s) over 64 KiB: go-plugin splits them and logs the pieces at DEBUG`,
      'Keep log lines under 64 KiB.',
    );
  }
  const total =
    counts.json + counts.jsonNoLevel + counts.prefixed + counts.plain + nonString.length + badTime.length;
  if (total === 0) return point.pass('LOG-1', 'nothing on stderr');
  const parts = [`${counts.json} hclog JSON`];
  if (counts.jsonNoLevel > 0) parts.push(`${counts.jsonNoLevel} JSON without a level (logged raw at DEBUG)`);
  if (counts.prefixed > 0) parts.push(`${counts.prefixed} [LEVEL]-prefixed`);
  if (counts.plain > 0) parts.push(`${counts.plain} plain text (logged at DEBUG)`);
  return point.pass('LOG-1', `${total} line(s): ${parts.join(', ')}`);
}
