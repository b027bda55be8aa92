/**
 * One yamux stream as a Node Duplex, so it can stand in for a net.Socket
 * under tls or http2.
 *
 * Flow control: the peer may send at most `recvWindow` more bytes. We grant
 * new credit only when the consumer drains our queue (Readable asks for more
 * via _read), so a slow reader stalls the remote writer instead of growing our
 * memory. Our own writes never exceed the peer's credit and are split to fit.
 */
import { Duplex } from 'node:stream';

import type { GoPluginError } from '../errors.js';
import { Flag, FrameType, INITIAL_STREAM_WINDOW, MAX_UINT32 } from './constants.js';
import { closedError, protocolError, timeoutError } from './failures.js';

/** What a stream needs from its session (implemented privately by YamuxSession). */
export interface StreamHost {
  /** The receive window we grant the peer per stream. */
  readonly maxWindow: number;
  /** Ms to wait for the peer's FIN after ours; 0 waits forever. */
  readonly streamCloseTimeout: number;
  /** Writes one frame; a no-op once the session has ended. */
  sendFrame(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): void;
  /** Runs `callback` once the transport has room again (at once if it has). */
  afterDrain(callback: () => void): void;
  /** An outbound stream got its ACK. */
  established(stream: YamuxStream): void;
  /** The stream is over at the protocol level (both FINs, a RST, or destroyed): forget it. */
  released(stream: YamuxStream): void;
}

type Callback = (error?: Error | null) => void;

interface PendingWrite {
  chunk: Buffer;
  offset: number;
  callback: Callback;
}

export class YamuxStream extends Duplex {
  /** Odd for streams opened by the client side, even for the server side. */
  readonly id: number;
  /** True when this side opened the stream. */
  readonly outbound: boolean;
  // net.Socket look-alikes that tls/http2 may read; a stream has no addresses of its own.
  readonly remoteAddress: string | undefined = undefined;
  readonly remotePort: number | undefined = undefined;
  readonly localAddress: string | undefined = undefined;
  readonly localPort: number | undefined = undefined;
  readonly connecting = false;

  private readonly host: StreamHost;
  private sendWindow = INITIAL_STREAM_WINDOW;
  private recvWindow = INITIAL_STREAM_WINDOW;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private wantRead = false;
  private readCalls = 0;
  private flushing = false;
  private endPushed = false;
  /** Our SYN (outbound) or ACK (inbound) has gone out, so we may send other frames. */
  private opened = false;
  /** Handed to the application (outbound, or inbound and accepted): errors may be emitted. */
  private exposed: boolean;
  private ackReceived: boolean;
  private localFin = false;
  private remoteFin = false;
  /** Released from the session: no more frames go out for this stream. */
  private finished = false;
  private pendingWrite: PendingWrite | undefined;
  private drainCallback: Callback | undefined;
  /** Size of the write whose completion waits for the transport to drain. */
  private drainBytes = 0;
  private finalCallback: Callback | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private received = 0;
  private sent = 0;

  /** Created by YamuxSession.open() and YamuxSession.accept(); not meant to be constructed directly. */
  constructor(host: StreamHost, id: number, outbound: boolean) {
    super({ allowHalfOpen: true });
    this.host = host;
    this.id = id;
    this.outbound = outbound;
    this.exposed = outbound;
    this.ackReceived = !outbound;
  }

  /** Payload bytes delivered to the reader so far. */
  get bytesRead(): number {
    return this.received;
  }

  /** Payload bytes sent to the peer so far. */
  get bytesWritten(): number {
    return this.sent;
  }

  // ---- net.Socket compatibility -------------------------------------------

  /** Emits 'timeout' after `ms` without traffic (0 disables), like net.Socket. */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback !== undefined) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (ms > 0) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), ms);
      this.idleTimer.unref();
    }
    return this;
  }

  /** Nagle is the transport's business; nothing to do per stream. */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  /** The session has its own keepalive pings. */
  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }

  /** Streams hold no handles or ref'd timers of their own. */
  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // ---- session-facing ------------------------------------------------------

  /** @internal Sends our SYN (outbound) or ACK (accepted inbound), announcing any larger window. */
  sendOpen(flag: number): void {
    if (this.opened || this.finished) return;
    const delta = Math.max(0, this.host.maxWindow - this.queuedBytes - this.recvWindow);
    this.recvWindow += delta;
    this.host.sendFrame(FrameType.WindowUpdate, flag, this.id, delta);
    this.opened = true;
    if (flag === Flag.ACK) this.exposed = true;
    this.pump();
    const final = this.finalCallback;
    this.finalCallback = undefined;
    if (final !== undefined) this.sendFin(final);
    this.flush();
  }

  /** @internal A Data frame for this stream (flags already validated by the session). */
  handleData(flags: number, payload: Buffer): void {
    if ((flags & Flag.ACK) !== 0) this.handleAck();
    // Data after the peer's FIN can only be a late frame of a racing writer; like Go we keep going.
    if (payload.length > 0 && !this.remoteFin && !this.finished) {
      if (payload.length > this.recvWindow) {
        throw protocolError(
          `yamux Data frame of ${payload.length} bytes for stream ${this.id} exceeds the receive window of ` +
            `${this.recvWindow} bytes`,
          { streamId: this.id, length: payload.length, window: this.recvWindow },
        );
      }
      this.recvWindow -= payload.length;
      this.queue.push(payload);
      this.queuedBytes += payload.length;
      this.touch();
    }
    this.handleCloseFlags(flags);
    this.flush();
  }

  /** @internal A WindowUpdate frame for this stream. */
  handleWindowUpdate(flags: number, delta: number): void {
    if ((flags & Flag.ACK) !== 0) this.handleAck();
    if (this.sendWindow + delta > MAX_UINT32) {
      throw protocolError(
        `yamux WindowUpdate of ${delta} for stream ${this.id} would grow its send window past 2^32-1 ` +
          `(current window ${this.sendWindow})`,
        { streamId: this.id, delta, window: this.sendWindow },
      );
    }
    this.sendWindow += delta;
    this.handleCloseFlags(flags);
    this.pump();
    this.flush();
  }

  /** @internal Ends the stream because of the peer's RST or the session ending; sends nothing. */
  fail(error: GoPluginError): void {
    this.release();
    // Nobody listens on a stream still waiting in the accept backlog, so it goes quietly.
    if (this.exposed) this.destroy(error);
    else this.destroy();
  }

  // ---- Duplex implementation ----------------------------------------------

  override _read(): void {
    this.readCalls++;
    this.wantRead = true;
    this.flush();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    if (this.finished) {
      callback(
        closedError(`yamux stream ${this.id} is closed; the write was dropped`, { streamId: this.id }),
      );
      return;
    }
    this.pendingWrite = { chunk, offset: 0, callback };
    this.touch();
    this.pump();
  }

  override _final(callback: Callback): void {
    if (this.opened) this.sendFin(callback);
    else this.finalCallback = callback;
  }

  override _destroy(error: Error | null, callback: Callback): void {
    clearTimeout(this.closeTimer);
    clearTimeout(this.idleTimer);
    const aborted =
      error ??
      closedError(`yamux stream ${this.id} was destroyed before the write completed`, { streamId: this.id });
    // Like closing a TCP socket (with or without an error): if nothing is lost
    // either way (the peer has finished and we read it all, and all our writes
    // went out) the peer just sees our FIN; otherwise it gets a RST so it
    // cannot mistake a cut-off stream for a complete one.
    const graceful =
      this.remoteFin &&
      this.queue.length === 0 &&
      this.readableLength === 0 &&
      this.pendingWrite === undefined &&
      this.writableLength <= this.drainBytes &&
      this.finalCallback === undefined;
    const pending = this.pendingWrite?.callback ?? this.drainCallback;
    this.pendingWrite = undefined;
    this.drainCallback = undefined;
    pending?.(aborted);
    const final = this.finalCallback;
    this.finalCallback = undefined;
    final?.(aborted);
    if (this.opened && !this.finished) {
      const flag = graceful ? Flag.FIN : Flag.RST;
      this.host.sendFrame(FrameType.WindowUpdate, flag, this.id, 0);
    }
    this.release();
    callback(error);
  }

  // ---- internals -------------------------------------------------------------

  private handleAck(): void {
    if (this.ackReceived) return;
    this.ackReceived = true;
    this.host.established(this);
  }

  private handleCloseFlags(flags: number): void {
    if ((flags & Flag.FIN) !== 0 && !this.finished) {
      if (this.remoteFin) {
        throw protocolError(`yamux peer sent a second FIN for stream ${this.id}`, { streamId: this.id });
      }
      this.remoteFin = true;
      if (this.localFin) this.release();
    }
    if ((flags & Flag.RST) !== 0) {
      this.fail(closedError(`yamux stream ${this.id} was reset by the peer`, { streamId: this.id }));
    }
  }

  /** Hands queued data to the Readable while it wants more, then grants credit for what left. */
  private flush(): void {
    if (this.flushing || this.destroyed) return;
    this.flushing = true;
    try {
      while (this.wantRead && this.queue.length > 0 && !this.destroyed) {
        // Pushing at most a high-water mark at a time keeps data we count as
        // consumed (pushed) close to what the reader really took.
        const head = this.queue[0] as Buffer;
        const limit = this.readableHighWaterMark;
        let chunk = head;
        if (head.length > limit) {
          chunk = head.subarray(0, limit);
          this.queue[0] = head.subarray(limit);
        } else {
          this.queue.shift();
        }
        this.queuedBytes -= chunk.length;
        this.received += chunk.length;
        const calls = this.readCalls;
        // A _read() re-entered from a 'data' listener asks for more even if push() says stop.
        if (!this.push(chunk) && this.readCalls === calls) this.wantRead = false;
      }
      if (this.remoteFin && this.queue.length === 0 && !this.endPushed && !this.destroyed) {
        this.endPushed = true;
        this.push(null);
      }
    } finally {
      this.flushing = false;
    }
    this.updateWindow();
  }

  /** Same policy as hashicorp/yamux: top the window back up once half of it is consumed. */
  private updateWindow(): void {
    if (!this.opened || this.remoteFin || this.finished || this.destroyed) return;
    const max = this.host.maxWindow;
    const delta = max - this.queuedBytes - this.recvWindow;
    if (delta < max / 2) return;
    this.recvWindow += delta;
    this.host.sendFrame(FrameType.WindowUpdate, 0, this.id, delta);
  }

  /** Sends as much of the pending write as the peer's window allows. */
  private pump(): void {
    const pending = this.pendingWrite;
    if (pending === undefined || !this.opened || this.finished) return;
    const { chunk } = pending;
    while (pending.offset < chunk.length && this.sendWindow > 0) {
      const size = Math.min(this.sendWindow, chunk.length - pending.offset);
      const piece = chunk.subarray(pending.offset, pending.offset + size);
      pending.offset += size;
      this.sendWindow -= size;
      this.sent += size;
      this.host.sendFrame(FrameType.Data, 0, this.id, size, piece);
    }
    if (pending.offset < chunk.length) return; // the rest waits for a WindowUpdate
    this.pendingWrite = undefined;
    this.touch();
    // Completing only once the transport drains keeps the session's socket buffer bounded too.
    this.drainCallback = pending.callback;
    this.drainBytes = chunk.length;
    this.host.afterDrain(() => {
      const callback = this.drainCallback;
      this.drainCallback = undefined;
      this.drainBytes = 0;
      callback?.();
    });
  }

  private sendFin(callback: Callback): void {
    this.localFin = true;
    this.host.sendFrame(FrameType.WindowUpdate, Flag.FIN, this.id, 0);
    if (this.remoteFin) {
      this.release();
    } else if (this.host.streamCloseTimeout > 0) {
      const ms = this.host.streamCloseTimeout;
      this.closeTimer = setTimeout(() => {
        this.destroy(
          timeoutError(
            `yamux stream ${this.id}: the peer did not close its side within ${ms} ms of our FIN`,
            {
              streamId: this.id,
              timeoutMs: ms,
            },
          ),
        );
      }, ms);
      this.closeTimer.unref();
    }
    callback();
  }

  private release(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.closeTimer);
    this.host.released(this);
  }

  private touch(): void {
    this.idleTimer?.refresh();
  }
}
