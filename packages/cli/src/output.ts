/**
 * What commands print: for people on a terminal, short lines and logs in
 * geth's style on stderr; with --json, one JSON document on stdout (and logs
 * as hclog JSON on stderr) for scripts.
 */
import { createHclogLogger, createLogger } from '@qplugin/go-plugin/core/internal';
import type { Logger, LogLevel, LogFields } from '@qplugin/go-plugin/core/internal';

import { stringifyJson } from '@qplugin/quorum/core/internal';

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  json: boolean;
  /** Colours and decorations (stdout is a TTY and NO_COLOR is unset). */
  tty: boolean;
}

export function defaultIo(json: boolean): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    json,
    tty: process.stdout.isTTY === true && !process.env.NO_COLOR,
  };
}

const LEVEL_NAMES: Record<LogLevel, string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
};

function fieldText(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? 'undefined' : /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

/** `INFO [11-25|13:37:00.123] message    key=value …` like geth's terminal logs. */
export function formatGethLine(
  level: LogLevel,
  message: string,
  fields: LogFields,
  now = new Date(),
): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp = `${p(now.getMonth() + 1)}-${p(now.getDate())}|${p(now.getHours())}:${p(now.getMinutes())}:${p(now.getSeconds())}.${p(now.getMilliseconds(), 3)}`;
  const kv = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${fieldText(v)}`)
    .join(' ');
  return `${LEVEL_NAMES[level]}[${stamp}] ${kv ? message.padEnd(40) + ' ' + kv : message}\n`;
}

export function cliLogger(io: Io, level: LogLevel | 'off'): Logger {
  if (io.json) return createHclogLogger((line) => io.stderr.write(line), { level });
  return createLogger(
    (lvl, message, module, fields) =>
      io.stderr.write(formatGethLine(lvl, message, module ? { ...fields, module } : fields)),
    { level },
  );
}

/** Prints a command's result: JSON document with --json, else the human text. */
export function printResult(io: Io, result: unknown, human: string): void {
  // A plugin's config may nest deeper than JSON.stringify goes (see json-text.ts).
  if (io.json)
    io.stdout.write(
      stringifyJson(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n',
    );
  else if (human) io.stdout.write(human.endsWith('\n') ? human : human + '\n');
}
