/**
 * Plugin stderr → host log, as go-plugin's host does it: each line is copied
 * raw to an optional sink, then logged with the level it carries (hclog JSON
 * or a `[LEVEL]` prefix; debug otherwise). Lines longer than the buffer are
 * logged in pieces at debug. Odd input never throws.
 */
import { StderrClassifier } from '../protocol/hclog.js';
import type { LogLevel } from '../protocol/hclog.js';
import type { Logger } from '../protocol/logger.js';

/** Anything with write(), e.g. a Writable stream. */
export interface Sink {
  write(chunk: Uint8Array): unknown;
}

export interface StderrPumpOptions {
  logger: Logger;
  /** Raw copy of every line (go-plugin's ClientConfig.Stderr). */
  raw?: Sink;
  /** Longest line logged whole (go-plugin's PluginLogBufferSize). Default 64 KiB. */
  bufferSize?: number;
  /** Lines kept for error reports. Default 20. */
  tailLines?: number;
}

const NEWLINE = Buffer.from('\n');

export class StderrPump {
  private readonly classifier = new StderrClassifier();
  private partial: Buffer[] = [];
  private partialLength = 0;
  /** The current line already overflowed: following pieces are continuations. */
  private continuing = false;
  private readonly recent: string[] = [];
  private readonly bufferSize: number;
  private readonly tailLines: number;

  constructor(private readonly options: StderrPumpOptions) {
    this.bufferSize = options.bufferSize ?? 64 * 1024;
    this.tailLines = options.tailLines ?? 20;
  }

  write(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      this.append(chunk.subarray(start, end));
      if (nl === -1) return;
      this.finishLine();
      start = nl + 1;
    }
  }

  /** Flushes an unterminated last line. */
  end(): void {
    if (this.partialLength > 0) this.finishLine();
  }

  /** The last lines seen, for error messages. */
  tail(): string {
    return this.recent.join('\n');
  }

  private append(piece: Buffer): void {
    while (piece.length > 0) {
      const room = this.bufferSize - this.partialLength;
      const take = piece.subarray(0, room);
      this.partial.push(take);
      this.partialLength += take.length;
      piece = piece.subarray(take.length);
      if (this.partialLength === this.bufferSize) {
        // Over-long line: emit what we have as a prefix piece.
        this.emitPiece(this.takePartial(), false);
        this.continuing = true;
      }
    }
  }

  private takePartial(): Buffer {
    const buf = Buffer.concat(this.partial, this.partialLength);
    this.partial = [];
    this.partialLength = 0;
    return buf;
  }

  private finishLine(): void {
    let line = this.takePartial();
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    if (this.continuing) {
      if (line.length > 0) this.emitPiece(line, true);
      else this.options.raw?.write(NEWLINE);
      this.continuing = false;
      return;
    }
    this.emitPiece(line, true);
  }

  /** Copies raw bytes, then logs. `complete` is false for the leading pieces of an over-long line. */
  private emitPiece(bytes: Buffer, complete: boolean): void {
    this.options.raw?.write(bytes);
    if (complete) this.options.raw?.write(NEWLINE);
    const text = bytes.toString('utf8');
    this.remember(text);
    if (this.continuing || !complete) {
      this.options.logger.debug(text);
      return;
    }
    const parsed = this.classifier.classify(text);
    const logger = parsed.module ? this.options.logger.named(parsed.module) : this.options.logger;
    const fields = parsed.timestamp ? { ...parsed.fields, timestamp: parsed.timestamp } : parsed.fields;
    log(logger, parsed.level, parsed.message, fields);
  }

  private remember(text: string): void {
    this.recent.push(text.length > 1000 ? text.slice(0, 1000) + '…' : text);
    if (this.recent.length > this.tailLines) this.recent.shift();
  }
}

export function log(
  logger: Logger,
  level: LogLevel,
  message: string,
  fields?: Record<string, unknown>,
): void {
  switch (level) {
    case 'trace':
      return logger.trace(message, fields);
    case 'debug':
      return logger.debug(message, fields);
    case 'info':
      return logger.info(message, fields);
    case 'warn':
      return logger.warn(message, fields);
    case 'error':
      return logger.error(message, fields);
  }
}
