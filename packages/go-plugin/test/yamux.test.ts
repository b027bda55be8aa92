/**
 * yamux session and stream behaviour, TS ↔ TS over an in-memory pipe, plus a
 * hand-driven "raw" peer for frames a correct implementation never sends.
 * Frames in this file are built by hand (not with the implementation's
 * encoder) so the wire layout is checked independently.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { isGoPluginError } from '../src/protocol/errors.js';
import type { ErrorCode } from '../src/protocol/errors.js';
import { YamuxSession, duplexPair } from '../src/protocol/yamux/index.js';
import type { YamuxSessionOptions, YamuxStream } from '../src/protocol/yamux/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const WINDOW = 256 * KiB;
const T = { DATA: 0, WINDOW_UPDATE: 1, PING: 2, GO_AWAY: 3 } as const;
const F = { SYN: 1, ACK: 2, FIN: 4, RST: 8 } as const;

type Options = Partial<YamuxSessionOptions>;

function sessionPair(t: TestContext, clientOptions: Options = {}, serverOptions: Options = {}) {
  const [a, b] = duplexPair();
  const client = new YamuxSession(a, { ...clientOptions, client: true });
  const server = new YamuxSession(b, { ...serverOptions, client: false });
  t.after(async () => {
    client.destroy();
    server.destroy();
    await Promise.all([client.closed, server.closed]);
  });
  return { client, server };
}

function readAll(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Accepts `count` streams and echoes each back, half-closing after the peer does. */
async function echoStreams(session: YamuxSession, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const stream = await session.accept();
    stream.pipe(stream);
  }
}

async function sendAndReadEcho(stream: YamuxStream, payload: Buffer): Promise<Buffer> {
  const echoed = readAll(stream);
  stream.end(payload);
  return echoed;
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
    this.end.write(payload === undefined ? rawHeader(type, flags, streamId, length) : Buffer.concat([rawHeader(type, flags, streamId, length), payload]));
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

describe('yamux over an in-memory pipe (TS ↔ TS)', () => {
  it('numbers streams odd from 1 on the client and even from 2 on the server', async (t) => {
    const { client, server } = sessionPair(t);
    const ids = [client.open(), client.open(), server.open(), server.open()].map((s) => s.id);
    assert.deepEqual(ids, [1, 3, 2, 4]);
    const accepted = [await server.accept(), await server.accept(), await client.accept(), await client.accept()];
    assert.deepEqual(
      accepted.map((s) => s.id),
      [1, 3, 2, 4],
    );
    assert.equal(client.numStreams, 4);
  });

  it('opens, accepts and echoes; data sent before accept() is kept', async (t) => {
    const { client, server } = sessionPair(t);
    const stream = client.open();
    stream.write('early ');
    await delay(10); // the server has received data but nobody accepted yet
    const echoing = echoStreams(server, 1);
    const echoed = await sendAndReadEcho(stream, Buffer.from('bird'));
    await echoing;
    assert.equal(echoed.toString(), 'early bird');
    assert.equal(stream.bytesWritten, 10);
    assert.equal(stream.bytesRead, 10);
  });

  it('moves 8 MiB through a slow reader while back-pressure bounds what the sender has outstanding', async (t) => {
    const { client, server } = sessionPair(t);
    const payload = randomBytes(8 * MiB);
    const out = client.open();
    let maxWritableLength = 0;
    const writer = (async () => {
      for (let offset = 0; offset < payload.length; offset += 64 * KiB) {
        const more = out.write(payload.subarray(offset, offset + 64 * KiB));
        maxWritableLength = Math.max(maxWritableLength, out.writableLength);
        if (!more) await once(out, 'drain');
      }
      out.end();
    })();
    const inbound = await server.accept();

    // Nobody reads: the writer must stall after one window.
    await delay(50);
    const stalledAt = out.bytesWritten;
    assert.equal(stalledAt, WINDOW, 'sender stops at the initial window');
    await delay(50);
    assert.equal(out.bytesWritten, stalledAt, 'sender stays stalled while the reader does not read');

    const hash = createHash('sha256');
    let consumed = 0;
    let maxOutstanding = 0;
    let reads = 0;
    for await (const chunk of inbound as AsyncIterable<Buffer>) {
      hash.update(chunk);
      consumed += chunk.length;
      maxOutstanding = Math.max(maxOutstanding, out.bytesWritten - consumed);
      if (++reads % 8 === 0) await delay(1); // a slow consumer
    }
    await writer;
    assert.equal(consumed, payload.length);
    assert.equal(hash.digest('hex'), sha(payload));
    assert.ok(maxOutstanding <= 2 * WINDOW, `sent but unread peaked at ${maxOutstanding} bytes`);
    assert.ok(maxWritableLength <= 64 * KiB + out.writableHighWaterMark, `writableLength peaked at ${maxWritableLength}`);
  });

  it('half-closes: the client finishes first and still reads the reply', async (t) => {
    const { client, server } = sessionPair(t);
    const stream = client.open();
    stream.end('request');
    const inbound = await server.accept();
    assert.equal((await readAll(inbound)).toString(), 'request');
    inbound.write('reply-1 ');
    inbound.end('reply-2');
    assert.equal((await readAll(stream)).toString(), 'reply-1 reply-2');
    await Promise.all([once(stream, 'close'), once(inbound, 'close')]);
    assert.equal(client.numStreams, 0);
    assert.equal(server.numStreams, 0);
  });

  it('half-closes: the server finishes first and still reads the reply', async (t) => {
    const { client, server } = sessionPair(t);
    const stream = client.open();
    stream.write('hello');
    const inbound = await server.accept();
    const request = readAll(inbound);
    inbound.end('bye');
    assert.equal((await readAll(stream)).toString(), 'bye');
    stream.end(' and more after the server closed');
    assert.equal((await request).toString(), 'hello and more after the server closed');
    await Promise.all([once(stream, 'close'), once(inbound, 'close')]);
    assert.equal(client.numStreams + server.numStreams, 0);
  });

  it('destroy() resets the stream: the peer fails with YAMUX_CLOSED and its pending write errors', async (t) => {
    const { client, server } = sessionPair(t);
    const stream = client.open();
    stream.write('x');
    const inbound = await server.accept();
    await once(inbound, 'data');
    // A write larger than the window stays pending until the reset.
    const writeResult = new Promise<Error | null | undefined>((resolve) => inbound.write(Buffer.alloc(WINDOW + 1), resolve));
    const failed = once(inbound, 'error');
    stream.destroy();
    const [error] = await failed;
    assertCode(error, 'YAMUX_CLOSED', /stream 1 was reset by the peer/);
    assertCode(await writeResult, 'YAMUX_CLOSED');
    assert.equal(client.numStreams + server.numStreams, 0);
  });

  it('carries many concurrent streams opened by both sides', async (t) => {
    const { client, server } = sessionPair(t);
    const count = 100;
    const serverEcho = echoStreams(server, count);
    const clientEcho = echoStreams(client, count);
    const payloads = Array.from({ length: count }, () => randomBytes(16 * KiB + Math.floor(Math.random() * 16 * KiB)));
    const results = await Promise.all(
      payloads.flatMap((payload) => [
        sendAndReadEcho(client.open(), payload),
        sendAndReadEcho(server.open(), payload),
      ]),
    );
    await Promise.all([serverEcho, clientEcho]);
    results.forEach((echoed, i) => assert.ok(echoed.equals(payloads[Math.floor(i / 2)] as Buffer), `stream ${i}`));
    await delay(5);
    assert.equal(client.numStreams + server.numStreams, 0);
  });

  it('holds back SYNs beyond acceptBacklog un-ACKed streams instead of overflowing the peer', async (t) => {
    const { client, server } = sessionPair(t, { acceptBacklog: 4 }, { acceptBacklog: 4 });
    const streams = Array.from({ length: 20 }, () => client.open());
    const echoes = streams.map((stream, i) => sendAndReadEcho(stream, Buffer.from(`stream ${i}`)));
    await delay(10);
    assert.equal(client.numStreams, 20);
    assert.equal(server.numStreams, 4, 'only four SYNs are out before any accept');
    for (let i = 0; i < 20; i++) {
      const inbound = await server.accept();
      inbound.pipe(inbound);
      await delay(1);
    }
    const texts = (await Promise.all(echoes)).map(String);
    assert.deepEqual(
      texts,
      streams.map((_, i) => `stream ${i}`),
    );
  });

  it('resets incoming streams beyond the accept backlog', async (t) => {
    const { client, server } = sessionPair(t, {}, { acceptBacklog: 2 });
    const streams = [client.open(), client.open(), client.open(), client.open()];
    const errors = streams.map((stream) => once(stream, 'error').then(([error]) => error as unknown));
    const [e5, e7] = await Promise.all([errors[2], errors[3]]);
    assertCode(e5, 'YAMUX_CLOSED', /stream 5 was reset/);
    assertCode(e7, 'YAMUX_CLOSED', /stream 7 was reset/);
    assert.deepEqual([(await server.accept()).id, (await server.accept()).id], [1, 3]);
    assert.equal(server.numStreams, 2);
  });

  it('pings both ways', async (t) => {
    const { client, server } = sessionPair(t);
    const rtts = await Promise.all([client.ping(), server.ping(), client.ping()]);
    for (const rtt of rtts) assert.ok(typeof rtt === 'number' && rtt >= 0 && rtt < 1000, `rtt ${rtt}`);
  });

  it('keeps an idle session alive with answered keepalive pings', async (t) => {
    const { client, server } = sessionPair(t, { keepAliveInterval: 5 }, { keepAliveInterval: 5, connectionWriteTimeout: 50 });
    await delay(80);
    assert.equal(client.isClosed || server.isClosed, false);
  });

  it('goAway(): the peer may not open more streams, a SYN already in flight is reset, open streams go on', async (t) => {
    const { client, server } = sessionPair(t);
    const early = client.open();
    early.write('before ');
    const echoing = echoStreams(server, 1);
    await echoing;
    server.goAway();
    const racing = client.open(); // its SYN crosses the GoAway
    const [error] = await once(racing, 'error');
    assertCode(error, 'YAMUX_CLOSED', /reset by the peer/);
    await client.ping(); // the GoAway was processed before the pong
    assert.throws(() => client.open(), (e: unknown) => isGoPluginError(e, 'YAMUX_CLOSED') && /GoAway/.test(e.message));
    assert.equal((await sendAndReadEcho(early, Buffer.from('after'))).toString(), 'before after');
  });

  it('close(): GoAway and a clean end on both sides; streams still open fail with YAMUX_CLOSED', async (t) => {
    const { client, server } = sessionPair(t);
    const stream = client.open();
    stream.write('x');
    const inbound = await server.accept();
    const failures = [once(stream, 'error'), once(inbound, 'error')];
    const serverClose = once(server, 'close');
    await client.close();
    assert.equal(await client.closed, undefined);
    assert.equal(await server.closed, undefined);
    assert.deepEqual(await serverClose, [undefined]);
    for (const [error] of await Promise.all(failures)) assertCode(error, 'YAMUX_CLOSED', /session ended while stream 1/);
    assert.throws(() => client.open(), (e: unknown) => isGoPluginError(e, 'YAMUX_CLOSED'));
    await assert.rejects(server.accept(), (e: unknown) => isGoPluginError(e, 'YAMUX_CLOSED'));
    await assert.rejects(server.ping(), (e: unknown) => isGoPluginError(e, 'YAMUX_CLOSED'));
    assert.equal(client.numStreams + server.numStreams, 0);
  });

  it('rejects pending accept() calls when the session ends', async (t) => {
    const { client, server } = sessionPair(t);
    const pending = server.accept();
    client.destroy();
    await assert.rejects(pending, (e: unknown) => isGoPluginError(e, 'YAMUX_CLOSED'));
  });

  it('supports the net.Socket calls tls and http2 make', async (t) => {
    const { client } = sessionPair(t);
    const stream = client.open();
    assert.equal(stream.setNoDelay(true), stream);
    assert.equal(stream.setKeepAlive(true, 1000), stream);
    assert.equal(stream.ref(), stream);
    assert.equal(stream.unref(), stream);
    assert.equal(stream.remoteAddress, undefined);
    let timedOut = false;
    stream.setTimeout(20, () => (timedOut = true));
    await delay(60);
    assert.ok(timedOut, "'timeout' after 20 ms without traffic");
    stream.setTimeout(0);
  });

  it('validates options with INVALID_OPTIONS', () => {
    const [a] = duplexPair();
    for (const bad of [{ acceptBacklog: 0 }, { maxStreamWindowSize: 1000 }, { keepAliveInterval: -1 }, { streamOpenTimeout: 1.5 }]) {
      assert.throws(
        () => new YamuxSession(a, { client: true, ...bad }),
        (e: unknown) => isGoPluginError(e, 'INVALID_OPTIONS'),
      );
    }
    a.destroy();
  });

  it('does not keep Node alive with its timers (keepalive is unref’d)', async () => {
    const index = fileURLToPath(new URL('../src/protocol/yamux/index.js', import.meta.url));
    const script =
      `const { YamuxSession, duplexPair } = await import(${JSON.stringify(index)});` +
      'const [a, b] = duplexPair();' +
      'const c = new YamuxSession(a, { client: true }); const s = new YamuxSession(b, { client: false });' +
      "c.open().write('x'); await s.accept(); await c.ping(); console.log('idle');";
    const started = Date.now();
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    assert.equal(stdout.trim(), 'idle');
    assert.ok(Date.now() - started < 5000, 'exited without waiting for the 30 s keepalive');
  });
});

describe('yamux against a hand-driven peer', () => {
  it('answers a SYN with a window update carrying ACK on accept(), and reads data sent with the SYN', async (t) => {
    const { session, raw } = rawPair(t, { client: false });
    raw.send(T.DATA, F.SYN, 1, 5, Buffer.from('hello'));
    const stream = await session.accept();
    const ack = await raw.next((f) => f.streamId === 1);
    assert.deepEqual([ack.type, ack.flags, ack.length], [T.WINDOW_UPDATE, F.ACK, 0]);
    raw.send(T.DATA, F.FIN, 1, 6, Buffer.from(' world'));
    assert.equal((await readAll(stream)).toString(), 'hello world');
  });

  it('opens with a window update carrying SYN, announcing a larger window when configured', async (t) => {
    const { session, raw } = rawPair(t, { client: true, maxStreamWindowSize: 1 * MiB });
    const stream = session.open();
    const syn = await raw.next(() => true);
    assert.deepEqual([syn.version, syn.type, syn.flags, syn.streamId, syn.length], [0, T.WINDOW_UPDATE, F.SYN, 1, 768 * KiB]);
    // The whole announced window may be used at once, with the ACK riding on the data.
    const big = randomBytes(1 * MiB);
    raw.send(T.DATA, F.ACK | F.FIN, 1, big.length, big);
    assert.ok((await readAll(stream)).equals(big));
  });

  it('splits writes to the peer window and resumes on window updates', async (t) => {
    const { session, raw } = rawPair(t, { client: true });
    const stream = session.open();
    await raw.next((f) => (f.flags & F.SYN) !== 0);
    raw.send(T.WINDOW_UPDATE, F.ACK, 1, 0);
    let written = false;
    stream.write(Buffer.alloc(600 * KiB, 7), () => (written = true));
    await delay(20);
    const firstBatch = raw.frames.filter((f) => f.type === T.DATA);
    assert.equal(firstBatch.reduce((n, f) => n + f.length, 0), WINDOW, 'exactly one window is sent');
    assert.ok(firstBatch.every((f) => f.length <= WINDOW && f.flags === 0));
    assert.equal(written, false);
    raw.send(T.WINDOW_UPDATE, 0, 1, 600 * KiB - WINDOW);
    await delay(20);
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
    await raw.next((f) => f.flags === F.ACK);
    raw.send(T.DATA, 0, 1, WINDOW, Buffer.alloc(WINDOW));
    await delay(20);
    assert.equal(raw.frames.filter((f) => f.type === T.WINDOW_UPDATE && f.flags === 0).length, 0, 'no credit before reading');
    // What sits in the Readable buffer counts as consumed: up to two high-water marks.
    const target = WINDOW / 2 - 2 * stream.readableHighWaterMark - 1;
    let read = 0;
    while (read < target) {
      const chunk = stream.read(Math.min(4 * KiB, target - read)) as Buffer | null;
      if (chunk === null) await once(stream, 'readable');
      else read += chunk.length;
    }
    await delay(10);
    assert.equal(raw.frames.filter((f) => f.type === T.WINDOW_UPDATE && f.flags === 0).length, 0, 'below half a window');
    stream.resume();
    const update = await raw.next((f) => f.type === T.WINDOW_UPDATE && f.flags === 0);
    assert.equal(update.streamId, 1);
    assert.ok(update.length >= WINDOW / 2 && update.length <= WINDOW, `delta ${update.length}`);
  });

  it('answers pings with ACK and the same opaque value', async (t) => {
    const { raw } = rawPair(t, { client: false });
    raw.send(T.PING, F.SYN, 0, 0xdeadbeef);
    const pong = await raw.next((f) => f.type === T.PING);
    assert.deepEqual([pong.flags, pong.streamId, pong.length], [F.ACK, 0, 0xdeadbeef]);
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
    await assert.rejects(session.ping(), (e: unknown) => isGoPluginError(e, 'YAMUX_TIMEOUT') && /no reply within 30 ms/.test(e.message));
    assert.equal(session.isClosed, false);
  });

  it('ends the session with YAMUX_TIMEOUT when a keepalive ping goes unanswered', async (t) => {
    const { session, raw } = rawPair(t, { client: true, enableKeepAlive: true, keepAliveInterval: 10, connectionWriteTimeout: 30 });
    const ping = await raw.next((f) => f.type === T.PING);
    assert.equal(ping.flags, F.SYN);
    assertCode(await session.closed, 'YAMUX_TIMEOUT', /keepalive failed/);
  });

  it('ends the session with YAMUX_TIMEOUT when an opened stream is never ACKed', async (t) => {
    const { session } = rawPair(t, { client: true, streamOpenTimeout: 30 });
    const stream = session.open();
    const failed = once(stream, 'error');
    assertCode(await session.closed, 'YAMUX_TIMEOUT', /stream 1 was not acknowledged/);
    assertCode((await failed)[0], 'YAMUX_CLOSED');
  });

  it('resets a stream whose peer never answers our FIN within streamCloseTimeout', async (t) => {
    const { session, raw } = rawPair(t, { client: true, streamCloseTimeout: 30 });
    const stream = session.open();
    raw.send(T.WINDOW_UPDATE, F.ACK, 1, 0);
    stream.end();
    const [error] = await once(stream, 'error');
    assertCode(error, 'YAMUX_TIMEOUT', /did not close its side within 30 ms/);
    const flags = raw.frames.filter((f) => f.streamId === 1).map((f) => f.flags);
    assert.deepEqual(flags, [F.SYN, F.FIN, F.RST]);
  });

  const malformed: Array<{ name: string; frames: Buffer[]; message: RegExp; goAwayBack?: boolean; end?: boolean }> = [
    { name: 'an unsupported version', frames: [rawHeader(T.WINDOW_UPDATE, F.SYN, 1, 0, 1)], message: /protocol version 1/ },
    { name: 'an unknown frame type', frames: [rawHeader(4, 0, 0, 0)], message: /unknown type 4/ },
    {
      name: 'data beyond the receive window',
      frames: [
        rawHeader(T.WINDOW_UPDATE, F.SYN, 1, 0),
        Buffer.concat([rawHeader(T.DATA, 0, 1, 200 * KiB), Buffer.alloc(200 * KiB)]),
        Buffer.concat([rawHeader(T.DATA, 0, 1, 100 * KiB), Buffer.alloc(100 * KiB)]),
      ],
      message: /102400 bytes for stream 1 exceeds the receive window of 57344 bytes/,
    },
    {
      name: 'a Data frame larger than any window',
      frames: [rawHeader(T.WINDOW_UPDATE, F.SYN, 1, 0), rawHeader(T.DATA, 0, 1, WINDOW + 1)],
      message: /larger than any stream window/,
    },
    {
      name: 'a window update overflowing the send window',
      frames: [rawHeader(T.WINDOW_UPDATE, F.SYN, 1, 0), rawHeader(T.WINDOW_UPDATE, 0, 1, 0xffffffff)],
      message: /past 2\^32-1/,
    },
    {
      name: 'data for a stream that was never opened',
      frames: [Buffer.concat([rawHeader(T.DATA, 0, 7, 3), Buffer.from('abc')])],
      message: /stream 7, which was never opened/,
    },
    {
      name: 'a duplicate SYN',
      frames: [rawHeader(T.WINDOW_UPDATE, F.SYN, 1, 0), rawHeader(T.WINDOW_UPDATE, F.SYN, 1, 0)],
      message: /opened stream 1 again/,
    },
    { name: "a SYN with this side's parity", frames: [rawHeader(T.WINDOW_UPDATE, F.SYN, 2, 0)], message: /even ids belong/ },
    {
      name: 'a second FIN',
      frames: [rawHeader(T.WINDOW_UPDATE, F.SYN, 1, 0), rawHeader(T.WINDOW_UPDATE, F.FIN, 1, 0), rawHeader(T.WINDOW_UPDATE, F.FIN, 1, 0)],
      message: /second FIN for stream 1/,
    },
    { name: 'stream id 0 on a Data frame', frames: [Buffer.concat([rawHeader(T.DATA, 0, 0, 1), Buffer.from('x')])], message: /reserved/ },
    { name: 'GoAway with a protocol error', frames: [rawHeader(T.GO_AWAY, 0, 0, 1)], message: /GoAway with code 1/, goAwayBack: false },
    { name: 'a connection ending inside a frame', frames: [rawHeader(T.PING, F.SYN, 0, 1).subarray(0, 5)], message: /middle of a frame/, goAwayBack: false, end: true },
  ];
  for (const { name, frames, message, goAwayBack = true, end = false } of malformed) {
    it(`ends the session with YAMUX_PROTOCOL on ${name}`, async (t) => {
      const { session, raw } = rawPair(t, { client: false });
      for (const frame of frames) raw.end.write(frame);
      if (end) raw.end.end();
      const error = await session.closed;
      assertCode(error, 'YAMUX_PROTOCOL', message);
      if (goAwayBack) {
        const goAway = await raw.next((f) => f.type === T.GO_AWAY);
        assert.equal(goAway.length, 1, 'GoAway(protocol error) is sent to the peer');
      }
      assert.throws(() => session.open(), (e: unknown) => isGoPluginError(e, 'YAMUX_CLOSED') && e.message.includes(error?.message ?? '?'));
    });
  }
});
