/**
 * After the handshake, what the plugin writes through process.stdout and
 * process.stderr goes to the host over plugin.GRPCStdio (as a Go plugin's
 * os.Stdout/os.Stderr do). File descriptors 1 and 2 stay as they are, so the
 * SDK's log lines still reach the host's stderr reader.
 */
import { GRPCStdio, StdioChannel } from '../protocol/builtins.js';
import { service } from '../protocol/rpc-types.js';
import type { ServiceRegistration } from '../protocol/rpc-types.js';

type WriteFn = typeof process.stdout.write;

/**
 * The real writers, captured on first use (at the latest when the capture is
 * installed), not at import: process.stdout is then the one of the running
 * process even when the module code ran while a startup snapshot was built.
 */
let real: { stdout: WriteFn; stderr: WriteFn } | undefined;
const realWriters = (): { stdout: WriteFn; stderr: WriteFn } =>
  (real ??= {
    stdout: process.stdout.write.bind(process.stdout),
    stderr: process.stderr.write.bind(process.stderr),
  });

/** Writes to fd 1, bypassing the capture; resolves once handed to the OS. */
export function writeRealStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    realWriters().stdout(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** Writes to fd 2, bypassing the capture. */
export function writeRealStderr(text: string): void {
  realWriters().stderr(text);
}

interface Chunk {
  channel: StdioChannel;
  data: Buffer;
}

/** Largest StdioData payload we send. */
const CHUNK_BYTES = 32 * 1024;
/** Above this much unsent data, write() returns false (callers that honour it wait for 'drain'). */
const HIGH_WATER = 64 * 1024;
/** Kept while no host reads (e.g. go-plugin < 1.1 never calls StreamStdio); older output is dropped beyond. */
const MAX_BUFFERED = 1024 * 1024;

export interface StdioCaptureEvents {
  /** Called once when output is first dropped because nobody reads it. */
  onDrop?: (droppedBytes: number) => void;
}

export class StdioCapture {
  private queue: Chunk[] = [];
  private queued = 0;
  private dropped = 0;
  private installed = false;
  private ended = false;
  private readonly wakers = new Set<() => void>();
  private drained: (() => void)[] = [];

  constructor(private readonly events: StdioCaptureEvents = {}) {}

  /** Starts capturing process.stdout/process.stderr writes. */
  install(): void {
    if (this.installed) return;
    this.installed = true;
    realWriters();
    process.stdout.write = this.patched(StdioChannel.STDOUT, process.stdout);
    process.stderr.write = this.patched(StdioChannel.STDERR, process.stderr);
  }

  /** Puts the real writers back. */
  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    process.stdout.write = realWriters().stdout;
    process.stderr.write = realWriters().stderr;
  }

  private patched(channel: StdioChannel, stream: NodeJS.WriteStream): WriteFn {
    const write = (
      chunk: string | Uint8Array,
      encodingOrCb?: BufferEncoding | ((err?: Error | null) => void),
      cb?: (err?: Error | null) => void,
    ): boolean => {
      const callback = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
      const encoding = typeof encodingOrCb === 'string' ? encodingOrCb : 'utf8';
      const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk);
      this.push({ channel, data });
      if (callback) queueMicrotask(() => callback(null));
      const below = this.queued < HIGH_WATER;
      if (!below) this.drained.push(() => stream.emit('drain'));
      return below;
    };
    return write as WriteFn;
  }

  private push(chunk: Chunk): void {
    if (chunk.data.length === 0 || this.ended) return;
    this.queue.push(chunk);
    this.queued += chunk.data.length;
    while (this.queued > MAX_BUFFERED && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.queued -= old.data.length;
      if (this.dropped === 0) this.events.onDrop?.(old.data.length);
      this.dropped += old.data.length;
    }
    this.wakeAll();
  }

  private wakeAll(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  }

  /** Bytes dropped because nobody was reading. */
  get droppedBytes(): number {
    return this.dropped;
  }

  private take(): Chunk | undefined {
    const first = this.queue[0];
    if (!first) return undefined;
    if (first.data.length <= CHUNK_BYTES) {
      this.queue.shift();
    } else {
      this.queue[0] = { channel: first.channel, data: first.data.subarray(CHUNK_BYTES) };
    }
    const data = first.data.subarray(0, CHUNK_BYTES);
    this.queued -= data.length;
    if (this.queued < HIGH_WATER && this.drained.length > 0) {
      const pending = this.drained;
      this.drained = [];
      for (const fn of pending) fn();
    }
    return { channel: first.channel, data };
  }

  /** Ends every stream after what is queued has been sent. */
  end(): void {
    this.ended = true;
    this.wakeAll();
  }

  /** Sends queued and future output until the call ends or {@link end} is called. */
  async pump(send: (chunk: Chunk) => Promise<void>, signal: AbortSignal): Promise<void> {
    const onAbort = (): void => this.wakeAll();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const chunk = this.take();
        if (chunk) {
          await send(chunk);
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => this.wakers.add(resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

export function stdioService(capture: StdioCapture): ServiceRegistration {
  return service(GRPCStdio, {
    streamStdio: (_req, send, ctx) =>
      capture.pump((c) => send({ channel: c.channel, data: c.data }), ctx.signal),
  });
}
