/**
 * yamux session and stream behaviour, TS ↔ TS over an in-memory pipe.
 * Exact frames are checked in yamux-wire.test.ts, protocol violations in
 * yamux-malformed.test.ts.
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

/** Resolves once the stream has emitted 'close' (at once if it already has). */
function whenClosed(stream: Duplex): Promise<unknown> {
  return stream.closed ? Promise.resolve() : once(stream, 'close');
}

/** For streams a test leaves open: the session's end destroys them with YAMUX_CLOSED. */
function quiet(...streams: Duplex[]): void {
  for (const stream of streams) stream.on('error', () => undefined);
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

/**
 * The session's own timers are unref'd and an in-memory pipe holds no handle,
 * so tests waiting on those timers keep the event loop alive themselves.
 */
function holdEventLoop(t: TestContext): void {
  const timer = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(timer));
}

describe('yamux over an in-memory pipe (TS ↔ TS)', () => {
  it('numbers streams odd from 1 on the client and even from 2 on the server', async (t) => {
    const { client, server } = sessionPair(t);
    const opened = [client.open(), client.open(), server.open(), server.open()];
    assert.deepEqual(
      opened.map((s) => s.id),
      [1, 3, 2, 4],
    );
    const accepted = [
      await server.accept(),
      await server.accept(),
      await client.accept(),
      await client.accept(),
    ];
    quiet(...opened, ...accepted);
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
    await client.ping(); // the server has the data now, but nobody accepted yet
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
    while (out.bytesWritten < WINDOW) await delay(1);
    await Promise.all([client.ping(), server.ping()]); // any window update would be in by now
    await delay(20);
    assert.equal(
      out.bytesWritten,
      WINDOW,
      'sender stays stalled at one window while the reader does not read',
    );

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
    // Finish the server's half so the client sees a FIN, not a RST. (for-await destroys a
    // half-open Duplex after its end on Node 20, but leaves the writable side open on Node 24.)
    if (!inbound.destroyed) inbound.end();
    out.resume();
    await whenClosed(out);
    assert.equal(consumed, payload.length);
    assert.equal(hash.digest('hex'), sha(payload));
    assert.ok(maxOutstanding <= 2 * WINDOW, `sent but unread peaked at ${maxOutstanding} bytes`);
    assert.ok(
      maxWritableLength <= 64 * KiB + out.writableHighWaterMark,
      `writableLength peaked at ${maxWritableLength}`,
    );
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
    await Promise.all([whenClosed(stream), whenClosed(inbound)]);
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
    await Promise.all([whenClosed(stream), whenClosed(inbound)]);
    assert.equal(client.numStreams + server.numStreams, 0);
  });

  it('destroy() resets the stream: the peer fails with YAMUX_CLOSED and its pending write errors', async (t) => {
    const { client, server } = sessionPair(t);
    const stream = client.open();
    stream.write('x');
    const inbound = await server.accept();
    await once(inbound, 'data');
    // A write larger than the window stays pending until the reset.
    const writeResult = new Promise<Error | null | undefined>((resolve) =>
      inbound.write(Buffer.alloc(WINDOW + 1), resolve),
    );
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
    const payloads = Array.from({ length: count }, () =>
      randomBytes(16 * KiB + Math.floor(Math.random() * 16 * KiB)),
    );
    const results = await Promise.all(
      payloads.flatMap((payload) => [
        sendAndReadEcho(client.open(), payload),
        sendAndReadEcho(server.open(), payload),
      ]),
    );
    await Promise.all([serverEcho, clientEcho]);
    results.forEach((echoed, i) =>
      assert.ok(echoed.equals(payloads[Math.floor(i / 2)] as Buffer), `stream ${i}`),
    );
    await Promise.all([client.ping(), server.ping()]);
    assert.equal(client.numStreams + server.numStreams, 0);
  });

  it('holds back SYNs beyond acceptBacklog un-ACKed streams instead of overflowing the peer', async (t) => {
    const { client, server } = sessionPair(t, { acceptBacklog: 4 }, { acceptBacklog: 4 });
    const streams = Array.from({ length: 20 }, () => client.open());
    const echoes = streams.map((stream, i) => sendAndReadEcho(stream, Buffer.from(`stream ${i}`)));
    await client.ping(); // the server has seen every SYN sent so far
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
    quiet(streams[0] as Duplex, streams[1] as Duplex);
    const accepted = [await server.accept(), await server.accept()];
    quiet(...accepted);
    assert.deepEqual(
      accepted.map((s) => s.id),
      [1, 3],
    );
    assert.equal(server.numStreams, 2);
  });

  it('pings both ways', async (t) => {
    const { client, server } = sessionPair(t);
    const rtts = await Promise.all([client.ping(), server.ping(), client.ping()]);
    for (const rtt of rtts) assert.ok(typeof rtt === 'number' && rtt >= 0 && rtt < 1000, `rtt ${rtt}`);
  });

  it('keeps an idle session alive with answered keepalive pings', async (t) => {
    holdEventLoop(t);
    const { client, server } = sessionPair(
      t,
      { keepAliveInterval: 5 },
      { keepAliveInterval: 5, connectionWriteTimeout: 2000 },
    );
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
    assert.throws(
      () => client.open(),
      (e: unknown) => isGoPluginError(e, 'YAMUX_CLOSED') && /GoAway/.test(e.message),
    );
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
    for (const [error] of await Promise.all(failures))
      assertCode(error, 'YAMUX_CLOSED', /session ended while stream 1/);
    assert.throws(
      () => client.open(),
      (e: unknown) => isGoPluginError(e, 'YAMUX_CLOSED'),
    );
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
    quiet(stream);
    assert.equal(stream.setNoDelay(true), stream);
    assert.equal(stream.setKeepAlive(true, 1000), stream);
    assert.equal(stream.ref(), stream);
    assert.equal(stream.unref(), stream);
    assert.equal(stream.remoteAddress, undefined);
    holdEventLoop(t); // the idle timer is unref'd, like a socket's
    const started = Date.now();
    const timedOut = once(stream, 'timeout');
    stream.setTimeout(20);
    await timedOut;
    assert.ok(Date.now() - started >= 19, "'timeout' after 20 ms without traffic");
    stream.setTimeout(0);
  });

  it('validates options with INVALID_OPTIONS', () => {
    const [a] = duplexPair();
    for (const bad of [
      { acceptBacklog: 0 },
      { maxStreamWindowSize: 1000 },
      { keepAliveInterval: -1 },
      { streamOpenTimeout: 1.5 },
    ]) {
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
