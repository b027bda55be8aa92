/**
 * The lines of one output stream of a plugin, kept for the report (what came
 * before the handshake, how stderr was formatted), with a way to wait for
 * the next one.
 */

const MAX_PARTIAL = 1024 * 1024;

export class Lines {
  readonly lines: string[] = [];
  /** Text after the last newline. */
  partial = '';
  bytes = 0;
  ended = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly maxLines = 10_000) {}

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop()!;
    // A runaway line without newline: keep it as a (too long) line rather than grow forever.
    if (this.partial.length > MAX_PARTIAL) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const line of parts) if (this.lines.length < this.maxLines) this.lines.push(line);
    if (parts.length > 0) this.wake();
  }

  end(): void {
    if (this.partial !== '' && this.lines.length < this.maxLines) this.lines.push(this.partial);
    this.partial = '';
    this.ended = true;
    this.wake();
  }

  /** Resolves with line `index` when it arrives, 'eof' if the stream ends first, or 'timeout'. */
  async line(index: number, deadline: number): Promise<string | 'eof' | 'timeout'> {
    for (;;) {
      if (index < this.lines.length) return this.lines[index]!;
      if (this.ended) return 'eof';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        // Unref'd: a caller that stopped waiting must not keep the process alive.
        const timer = setTimeout(resolve, left).unref();
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
