/**
 * The logger interface used across the project, and an implementation that
 * writes hclog JSON lines (what go-plugin hosts expect on a plugin's stderr).
 */
import type { LogFields, LogLevel } from './hclog.js';
import { formatHclogLine, levelRank } from './hclog.js';

export interface Logger {
  readonly level: LogLevel | 'off';
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose module is `<this module>.<name>`. */
  named(name: string): Logger;
  /** A logger that adds `fields` to every line. */
  with(fields: LogFields): Logger;
}

export type LogSink = (
  level: LogLevel,
  message: string,
  module: string | undefined,
  fields: LogFields,
) => void;

class SinkLogger implements Logger {
  constructor(
    readonly level: LogLevel | 'off',
    private readonly sink: LogSink,
    private readonly module: string | undefined,
    private readonly context: LogFields,
  ) {}

  private log(level: LogLevel, message: string, fields?: LogFields): void {
    if (this.level === 'off' || levelRank(level) < levelRank(this.level)) return;
    this.sink(level, message, this.module, fields ? { ...this.context, ...fields } : this.context);
  }

  trace(message: string, fields?: LogFields): void {
    this.log('trace', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }
  named(name: string): Logger {
    return new SinkLogger(this.level, this.sink, this.module ? `${this.module}.${name}` : name, this.context);
  }
  with(fields: LogFields): Logger {
    return new SinkLogger(this.level, this.sink, this.module, { ...this.context, ...fields });
  }
}

export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel | 'off';
  /** Module name (`@module`). */
  name?: string;
}

/** A logger handing every record to `sink` (e.g. the host's own logging). */
export function createLogger(sink: LogSink, options: LoggerOptions = {}): Logger {
  return new SinkLogger(options.level ?? 'info', sink, options.name, {});
}

/** A logger writing one hclog JSON line per record through `write`. */
export function createHclogLogger(write: (line: string) => void, options: LoggerOptions = {}): Logger {
  return createLogger(
    (level, message, module, fields) => write(formatHclogLine({ level, message, module, fields }) + '\n'),
    options,
  );
}

export const silentLogger: Logger = createLogger(() => {}, { level: 'off' });
