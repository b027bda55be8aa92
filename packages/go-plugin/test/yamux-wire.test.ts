/**
 * yamux against a hand-driven peer: the exact frames the session sends and
 * how it reacts to frames, windows and silence. Frames are built and parsed
 * by hand here (not with the implementation's encoder) so the wire layout is
 * checked independently.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';

import { isGoPluginError } from '../src/protocol/errors.js';
import type { ErrorCode } from '../src/protocol/errors.js';
import { YamuxSession, duplexPair } from '../src/protocol/yamux/index.js';
import type { YamuxSessionOptions } from '../src/protocol/yamux/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const WINDOW = 256 * KiB;
const T = { DATA: 0, WINDOW_UPDATE: 1, PING: 2, GO_AWAY: 3 } as const;
const F = { SYN: 1, ACK: 2, FIN: 4, RST: 8 } as const;

function readAll(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/** For streams a test leaves open: the session's end destroys them with YAMUX_CLOSED. */
function quiet(...streams: Duplex[]): void {
  for (const stream of streams) stream.on('error', () => undefined);
}

function assertCode(error: unknown, code: ErrorCode, pattern?: RegExp): void {
  assert.ok(isGoPluginError(error, code), `expected ${code}, got ${String(error)}`);
  if (pattern !== undefined) assert.match(error.message, pattern);
}

interface RawFrame {
  version: number;
  type: number;
  flags: number;
  streamId: number;
  length: number;
  payload: Buffer;
}

function rawHeader(type: number, flags: number, streamId: number, length: number, version = 0): Buffer {
  const header = Buffer.alloc(12);
  header[0] = version;
  header[1] = type;
  header.writeUInt16BE(flags, 2);
  header.writeUInt32BE(streamId, 4);
  header.writeUInt32BE(length, 8);
  return header;
}

/** The far end of a pipe driven by hand: writes raw bytes, parses what the session sends. */
class RawPeer {
  readonly frames: RawFrame[] = [];
  private buffer = Buffer.alloc(0);
  private readonly taken = new Set<RawFrame>();
  private wake: (() => void) | undefined;

  constructor(readonly end: Duplex) {
    // Like a real peer, close our side once the session closed its.
    end.on('end', () => end.end());
    end.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 12) {
        const length = this.buffer.readUInt32BE(8);
        const type = this.buffer[1] as number;
        const size = 12 + (type === T.DATA ? length : 0);
        if (this.buffer.length < size) break;
        this.frames.push({
          version: this.buffer[0] as number,
          type,
          flags: this.buffer.readUInt16BE(2),
          streamId: this.buffer.readUInt32BE(4),
          length,
          payload: this.buffer.subarray(12, size),
        });
        this.buffer = this.buffer.subarray(size);
      }
      this.wake?.();
    });
  }

  send(type: number, flags: number, streamId: number, length: number, payload?: Buffer): void {
    this.end.write(
      payload === undefined
        ? rawHeader(type, flags, streamId, length)
        : Buffer.concat([rawHeader(type, flags, streamId, length), payload]),
    );
  }

  /** Pings the session: once the reply is in, so is every frame it sent before. */
  async sync(): Promise<void> {
    const id = 0x5000_0000 + this.frames.length;
    this.send(T.PING, F.SYN, 0, id);
    await this.next((f) => f.type === T.PING && f.flags === F.ACK && f.length === id);
  }

  /** The first frame matching `match` not returned before. */
  async next(match: (frame: RawFrame) => boolean): Promise<RawFrame> {
    for (;;) {
      const frame = this.frames.find((f) => !this.taken.has(f) && match(f));
      if (frame !== undefined) {
        this.taken.add(frame);
        return frame;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/**
 * The session's own timers are unref'd and an in-memory pipe holds no handle,
 * so tests waiting on those timers keep the event loop alive themselves.
 */
function holdEventLoop(t: TestContext): void {
  const timer = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(timer));
}

function rawPair(t: TestContext, options: YamuxSessionOptions) {
  const [a, b] = duplexPair();
  const session = new YamuxSession(a, { enableKeepAlive: false, ...options });
  const raw = new RawPeer(b);
  t.after(async () => {
    session.destroy();
    b.destroy();
    await session.closed;
  });
  return { session, raw };
}

describe('yamux against a hand-driven peer', () => {
  it('answers a SYN with a window update carrying ACK on accept(), and reads data sent with the SYN', async (t) => {
    const { session, raw } = rawPair(t, { client: false });
    raw.send(T.DATA, F.SYN, 1, 5, Buffer.from('hello'));
    const stream = await session.accept();
    quiet(stream);
    const ack = await raw.next((f) => f.streamId === 1);
    assert.deepEqual([ack.type, ack.flags, ack.length], [T.WINDOW_UPDATE, F.ACK, 0]);
    raw.send(T.DATA, F.FIN, 1, 6, Buffer.from(' world'));
    assert.equal((await readAll(stream)).toString(), 'hello world');
  });

  it('opens with a window update carrying SYN, announcing a larger window when configured', async (t) => {
    const { session, raw } = rawPair(t, { client: true, maxStreamWindowSize: 1 * MiB });
    const stream = session.open();
    quiet(stream);
    const syn = await raw.next(() => true);
    assert.deepEqual(
      [syn.version, syn.type, syn.flags, syn.streamId, syn.length],
      [0, T.WINDOW_UPDATE, F.SYN, 1, 768 * KiB],
    );
    // The whole announced window may be used at once, with the ACK riding on the data.
    const big = randomBytes(1 * MiB);
    raw.send(T.DATA, F.ACK | F.FIN, 1, big.length, big);
    assert.ok((await readAll(stream)).equals(big));
  });

  it('splits writes to the peer window and resumes on window updates', async (t) => {
    const { session, raw } = rawPair(t, { client: true });
    const stream = session.open();
    quiet(stream);
    await raw.next((f) => (f.flags & F.SYN) !== 0);
    raw.send(T.WINDOW_UPDATE, F.ACK, 1, 0);
    let written = false;
    stream.write(Buffer.alloc(600 * KiB, 7), () => (written = true));
    await raw.sync();
    const firstBatch = raw.frames.filter((f) => f.type === T.DATA);
    assert.equal(
      firstBatch.reduce((n, f) => n + f.length, 0),
      WINDOW,
      'exactly one window is sent',
    );
    assert.ok(firstBatch.every((f) => f.length <= WINDOW && f.flags === 0));
    assert.equal(written, false);
    raw.send(T.WINDOW_UPDATE, 0, 1, 600 * KiB - WINDOW);
    await raw.sync();
    await new Promise((resolve) => setImmediate(resolve)); // the write callback waits for 'drain'
    assert.equal(
      raw.frames.filter((f) => f.type === T.DATA).reduce((n, f) => n + f.length, 0),
      600 * KiB,
    );
    assert.equal(written, true);
  });

  it('grants more window only as the consumer reads, half a window at a time', async (t) => {
    const { session, raw } = rawPair(t, { client: false });
    raw.send(T.WINDOW_UPDATE, F.SYN, 1, 0);
    const stream = await session.accept();
    quiet(stream);
    await raw.next((f) => f.flags === F.ACK);
    raw.send(T.DATA, 0, 1, WINDOW, Buffer.alloc(WINDOW));
    await raw.sync();
    assert.equal(
      raw.frames.filter((f) => f.type === T.WINDOW_UPDATE && f.flags === 0).length,
      0,
      'no credit before reading',
    );
    // What sits in the Readable buffer counts as consumed: up to two high-water marks.
    const target = WINDOW / 2 - 2 * stream.readableHighWaterMark - 1;
    let read = 0;
    while (read < target) {
      const chunk = stream.read(Math.min(4 * KiB, target - read)) as Buffer | null;
      if (chunk === null) await once(stream, 'readable');
      else read += chunk.length;
    }
    await raw.sync();
    assert.equal(
      raw.frames.filter((f) => f.type === T.WINDOW_UPDATE && f.flags === 0).length,
      0,
      'below half a window',
    );
    stream.resume();
    const update = await raw.next((f) => f.type === T.WINDOW_UPDATE && f.flags === 0);
    assert.equal(update.streamId, 1);
    assert.ok(update.length >= WINDOW / 2 && update.length <= WINDOW, `delta ${update.length}`);
  });

  it('destroy() sends FIN when nothing is lost either way, RST otherwise', async (t) => {
    const { session, raw } = rawPair(t, { client: false });
    raw.send(T.DATA, F.SYN | F.FIN, 1, 3, Buffer.from('all'));
    raw.send(T.DATA, F.SYN, 3, 4, Buffer.from('some'));
    const [consumed, unread] = [await session.accept(), await session.accept()];
    assert.equal((await readAll(consumed)).toString(), 'all');
    consumed.destroy();
    unread.destroy();
    const [first, second] = [
      await raw.next((f) => f.streamId === 1 && f.flags !== F.ACK),
      await raw.next((f) => f.streamId === 3 && f.flags !== F.ACK),
    ];
    assert.equal(first.flags, F.FIN, 'stream 1 was read to the end');
    assert.equal(second.flags, F.RST, 'stream 3 still had data and an open peer');
    assert.equal(session.numStreams, 0);
  });

  it('answers pings with ACK and the same opaque value', async (t) => {
    const { raw } = rawPair(t, { client: false });
    raw.send(T.PING, F.SYN, 0, 0xdeadbeef);
    const pong = await raw.next((f) => f.type === T.PING);
    assert.deepEqual([pong.flags, pong.streamId, pong.length], [F.ACK, 0, 0xdeadbeef]);
  });

  it('accepts SYNs out of id order, as Go sends them from concurrent goroutines', async (t) => {
    const { session, raw } = rawPair(t, { client: false });
    raw.send(T.WINDOW_UPDATE, F.SYN, 5, 0);
    raw.send(T.WINDOW_UPDATE, F.SYN, 1, 0);
    raw.send(T.WINDOW_UPDATE, F.SYN, 3, 0);
    const accepted = [await session.accept(), await session.accept(), await session.accept()];
    quiet(...accepted);
    assert.deepEqual(
      accepted.map((s) => s.id),
      [5, 1, 3],
    );
    raw.send(T.DATA, F.FIN, 9, 1, Buffer.from('x'));
    assertCode(await session.closed, 'YAMUX_PROTOCOL', /stream 9, which was never opened/);
  });

  it('ignores late frames for a stream it reset, like Go', async (t) => {
    const { session, raw } = rawPair(t, { client: false });
    raw.send(T.WINDOW_UPDATE, F.SYN, 1, 0);
    const stream = await session.accept();
    stream.destroy();
    const rst = await raw.next((f) => (f.flags & F.RST) !== 0);
    assert.equal(rst.streamId, 1);
    raw.send(T.DATA, 0, 1, 4, Buffer.from('late'));
    raw.send(T.WINDOW_UPDATE, F.FIN, 1, 100);
    raw.send(T.PING, F.SYN, 0, 9);
    assert.equal((await raw.next((f) => f.type === T.PING)).length, 9);
    assert.equal(session.isClosed, false);
  });

  it('fails a ping with YAMUX_TIMEOUT when no reply comes, keeping the session', async (t) => {
    const { session } = rawPair(t, { client: true, connectionWriteTimeout: 30 });
    await assert.rejects(
      session.ping(),
      (e: unknown) => isGoPluginError(e, 'YAMUX_TIMEOUT') && /no reply within 30 ms/.test(e.message),
    );
    assert.equal(session.isClosed, false);
  });

  it('sends keepalive pings every keepAliveInterval and stays up while they are answered', async (t) => {
    holdEventLoop(t);
    const { session, raw } = rawPair(t, {
      client: true,
      enableKeepAlive: true,
      keepAliveInterval: 10,
      connectionWriteTimeout: 200,
    });
    for (let i = 0; i < 3; i++) {
      const ping = await raw.next((f) => f.type === T.PING);
      assert.equal(ping.flags, F.SYN);
      raw.send(T.PING, F.ACK, 0, ping.length);
    }
    assert.equal(session.isClosed, false);
  });

  it('ends the session with YAMUX_TIMEOUT when the transport takes no data for connectionWriteTimeout', async (t) => {
    holdEventLoop(t);
    const [a, b] = duplexPair(); // nobody ever reads `b`
    const session = new YamuxSession(a, { client: true, enableKeepAlive: false, connectionWriteTimeout: 30 });
    t.after(() => b.destroy());
    const stream = session.open();
    quiet(stream);
    stream.write(Buffer.alloc(128 * KiB));
    assertCode(await session.closed, 'YAMUX_TIMEOUT', /transport took no data for 30 ms/);
  });

  it('ends the session with YAMUX_TIMEOUT when a keepalive ping goes unanswered', async (t) => {
    holdEventLoop(t);
    const { session, raw } = rawPair(t, {
      client: true,
      enableKeepAlive: true,
      keepAliveInterval: 10,
      connectionWriteTimeout: 30,
    });
    const ping = await raw.next((f) => f.type === T.PING);
    assert.equal(ping.flags, F.SYN);
    assertCode(await session.closed, 'YAMUX_TIMEOUT', /keepalive failed/);
  });

  it('ends the session with YAMUX_TIMEOUT when an opened stream is never ACKed', async (t) => {
    holdEventLoop(t);
    const { session } = rawPair(t, { client: true, streamOpenTimeout: 30 });
    const stream = session.open();
    const failed = once(stream, 'error');
    assertCode(await session.closed, 'YAMUX_TIMEOUT', /stream 1 was not acknowledged/);
    assertCode((await failed)[0], 'YAMUX_CLOSED');
  });

  it('resets a stream whose peer never answers our FIN within streamCloseTimeout', async (t) => {
    holdEventLoop(t);
    const { session, raw } = rawPair(t, { client: true, streamCloseTimeout: 30 });
    const stream = session.open();
    raw.send(T.WINDOW_UPDATE, F.ACK, 1, 0);
    stream.end();
    const [error] = await once(stream, 'error');
    assertCode(error, 'YAMUX_TIMEOUT', /did not close its side within 30 ms/);
    await raw.next((f) => f.flags === F.RST);
    const flags = raw.frames.filter((f) => f.streamId === 1).map((f) => f.flags);
    assert.deepEqual(flags, [F.SYN, F.FIN, F.RST]);
  });
});
