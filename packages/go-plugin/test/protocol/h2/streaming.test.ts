/**
 * Streaming calls on protocol/h2 against Node's own HTTP/2 server over TCP on
 * 127.0.0.1: messages both ways as they come, the request written in pieces
 * (and held back by the server's flow-control window), pause/resume as
 * backpressure on the server, a response that ends before the request does,
 * and cancellation seen by the server; and, against a scripted peer that stops
 * reading its socket, backpressure from the socket itself.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { constants, createServer } from 'node:http2';
import type { Http2Server, Http2Session, ServerHttp2Stream, Settings } from 'node:http2';
import { describe, it } from 'node:test';

import type { CallStatus } from '../../../src/protocol/grpc/call.js';
import { encodeFrame, FrameReader } from '../../../src/protocol/grpc/framing.js';
import { Status } from '../../../src/protocol/grpc/status.js';
import type { H2Connection } from '../../../src/protocol/h2/connection.js';
import { Flag, FrameType, Setting, uint32 } from '../../../src/protocol/h2/frames.js';
import { H2Call } from '../../../src/protocol/h2/call.js';
import { UnaryMethod } from '../../../src/protocol/h2/request-head.js';
import { RawPeer } from '../../support/h2-peer.js';
import { connectH2 } from '../../support/h2-server.js';

const m = (path: string): UnaryMethod => new UnaryMethod(path, { secure: false });

interface Server {
  conn: H2Connection;
  /** Each stream the server got, in order. */
  streams: ServerHttp2Stream[];
  streamSeen: (n: number) => Promise<ServerHttp2Stream>;
  stop: () => Promise<void>;
}

/**
 * Paths: /s/echo answers each request message as it arrives and ends with
 * OK once the request ends; /s/count answers the request's number N with N
 * messages "i"; /s/early answers OK after the first request message, the
 * request still open; /s/hold reads and never answers.
 */
async function start(settings: Settings = {}): Promise<Server> {
  const srv: Http2Server = createServer({ settings });
  const sessions: Http2Session[] = [];
  const streams: ServerHttp2Stream[] = [];
  const waiters: { n: number; resolve: (s: ServerHttp2Stream) => void }[] = [];
  srv.on('session', (s) => sessions.push(s));
  srv.on('stream', (stream, headers) => {
    streams.push(stream);
    for (const w of waiters.filter((w) => streams.length >= w.n)) w.resolve(streams[w.n - 1]!);
    stream.on('error', () => {});
    const path = headers[':path'];
    const reply = (): void => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    };
    if (path === '/s/hold') {
      stream.resume();
      return;
    }
    reply();
    const reader = new FrameReader(1 << 24, (msg) => {
      if (path === '/s/echo') stream.write(encodeFrame(msg));
      else if (path === '/s/count') {
        const n = Number(msg.toString());
        for (let i = 0; i < n; i++) stream.write(encodeFrame(Buffer.from(String(i))));
        stream.end();
      } else if (path === '/s/early') stream.end();
    });
    stream.on('data', (c: Buffer) => reader.push(c));
    stream.on('end', () => {
      if (path === '/s/echo' && !stream.writableEnded) stream.end();
    });
  });
  const { conn, stop } = await connectH2(srv, sessions);
  return {
    conn,
    streams,
    streamSeen: (n) =>
      streams.length >= n
        ? Promise.resolve(streams[n - 1]!)
        : new Promise((resolve) => waiters.push({ n, resolve })),
    stop,
  };
}

/** A streaming call with its messages and status collected. */
function streamingCall(): { call: H2Call; messages: Buffer[]; status: Promise<CallStatus> } {
  const messages: Buffer[] = [];
  let done!: (s: CallStatus) => void;
  const status = new Promise<CallStatus>((resolve) => (done = resolve));
  const call = new H2Call(
    { onCallEnd: (s) => done(s), onCallMessage: (msg) => messages.push(msg) },
    undefined,
    true,
  );
  return { call, messages, status };
}

describe('h2 streaming calls against node:http2 (nghttp2)', () => {
  it('server streaming: a complete request, many responses as they come, then OK', async () => {
    const t = await start();
    const { call, messages, status } = streamingCall();
    call.start(t.conn, m('/s/count'), encodeFrame(Buffer.from('500')));
    assert.equal((await status).code, Status.OK);
    assert.deepEqual(
      messages.map((b) => b.toString()),
      Array.from({ length: 500 }, (_, i) => String(i)),
    );
    assert.equal(t.conn.activeStreams, 0);
    await t.stop();
  });

  it('bidi: request messages written one at a time are answered one at a time, then end -> OK', async () => {
    const t = await start();
    const { call, messages, status } = streamingCall();
    call.start(t.conn, m('/s/echo'), Buffer.alloc(0), undefined, undefined, false);
    for (let i = 0; i < 20; i++) {
      const before = messages.length;
      assert.equal(call.write(encodeFrame(Buffer.from(`m${i}`))), true);
      // The reply to this message arrives while the request is still open.
      while (messages.length === before) await new Promise((r) => setImmediate(r));
      assert.equal(messages.at(-1)!.toString(), `m${i}`);
    }
    call.end();
    assert.equal((await status).code, Status.OK);
    assert.equal(messages.length, 20);
    await t.stop();
  });

  it("a request larger than the server's window waits for WINDOW_UPDATEs; write() says when to wait", async () => {
    // A 1 KiB stream window: 1 MiB of request goes out only as the server reads.
    const t = await start({ initialWindowSize: 1024 });
    const { call, messages, status } = streamingCall();
    call.start(t.conn, m('/s/echo'), Buffer.alloc(0), undefined, undefined, false);
    let waited = 0;
    for (let i = 0; i < 16; i++) {
      if (!call.write(encodeFrame(Buffer.alloc(64 * 1024, i)))) {
        waited++;
        await new Promise<void>((resolve) => (call.onWritable = resolve));
      }
    }
    call.end();
    assert.equal((await status).code, Status.OK);
    assert.ok(waited > 0, 'write() never asked the caller to wait');
    assert.equal(messages.length, 16);
    messages.forEach((msg, i) => assert.deepEqual(msg, Buffer.alloc(64 * 1024, i)));
    await t.stop();
  });

  it('pause() stops granting window, so the server stops; resume() lets it finish', async () => {
    const t = await start();
    const { call, messages, status } = streamingCall();
    // 64 messages of 256 KiB: 16 MiB, twice our 8 MiB stream window.
    call.pause();
    call.start(t.conn, m('/s/echo'), Buffer.alloc(0), undefined, undefined, false);
    for (let i = 0; i < 64; i++) call.write(encodeFrame(Buffer.alloc(256 * 1024, i)));
    call.end();
    const server = await t.streamSeen(1);
    // The server fills the 8 MiB window and then waits: its writes back up.
    while (server.writableLength === 0 || messages.length < 31) await new Promise((r) => setTimeout(r, 5));
    const held = messages.length;
    assert.ok(held < 33, `${held} messages arrived through a paused 8 MiB window`);
    call.resume();
    assert.equal((await status).code, Status.OK);
    assert.equal(messages.length, 64);
    await t.stop();
  });

  it('a response that ends before the request: OK, and our side stops with RST_STREAM NO_ERROR', async () => {
    const t = await start();
    const { call, status } = streamingCall();
    call.start(t.conn, m('/s/early'), encodeFrame(Buffer.from('first')), undefined, undefined, false);
    assert.equal((await status).code, Status.OK);
    // Writing after the end goes nowhere and does not throw.
    assert.equal(call.write(encodeFrame(Buffer.from('late'))), true);
    call.end();
    const server = await t.streamSeen(1);
    if (!server.closed) await once(server, 'close');
    assert.equal(server.rstCode, constants.NGHTTP2_NO_ERROR);
    assert.equal(t.conn.activeStreams, 0);
    await t.stop();
  });

  it('cancel() mid-stream: CANCELLED here, RST_STREAM CANCEL at the server, the connection serves on', async () => {
    const t = await start();
    const { call, status } = streamingCall();
    call.start(t.conn, m('/s/hold'), encodeFrame(Buffer.from('x')), undefined, undefined, false);
    const server = await t.streamSeen(1);
    call.cancel(Status.CANCELLED, 'user gave up');
    const s = await status;
    assert.equal(s.code, Status.CANCELLED);
    assert.equal(s.message, 'user gave up');
    if (!server.closed) await once(server, 'close');
    assert.equal(server.rstCode, constants.NGHTTP2_CANCEL);
    const next = streamingCall();
    next.call.start(t.conn, m('/s/count'), encodeFrame(Buffer.from('2')));
    assert.equal((await next.status).code, Status.OK);
    assert.equal(next.messages.length, 2);
    await t.stop();
  });

  it('the connection lost mid-stream: UNAVAILABLE with connectionLost', async () => {
    const t = await start();
    const { call, status } = streamingCall();
    call.start(t.conn, m('/s/hold'), Buffer.alloc(0), undefined, undefined, false);
    const server = await t.streamSeen(1);
    server.session!.destroy();
    const s = await status;
    assert.equal(s.code, Status.UNAVAILABLE);
    assert.equal(s.connectionLost, true);
    await t.stop();
  });
});

describe('h2 streaming calls: the socket pushes back', () => {
  it('a peer that stops reading: write() turns false though its windows are open, onWritable once it reads', async () => {
    // Windows as large as HTTP/2 allows: only the socket can hold the writer back.
    const peer = await RawPeer.start({ settings: [[Setting.INITIAL_WINDOW_SIZE, 2 ** 31 - 1]] });
    peer.send(FrameType.WINDOW_UPDATE, 0, 0, uint32(2 ** 31 - 1 - 65_535));
    await peer.frame((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
    peer.socket.pause();
    const { call, status } = streamingCall();
    call.start(peer.conn, m('/s/upload'), Buffer.alloc(0), undefined, undefined, false);
    const chunk = encodeFrame(Buffer.alloc(64 * 1024, 1));
    let written = 0;
    while (call.write(chunk)) {
      written += chunk.length;
      assert.ok(written < 64 * 1024 * 1024, 'write() never asked to wait on a socket nobody reads');
      // Let the queued frames reach the socket, as a real producer would between writes.
      await new Promise((r) => setImmediate(r));
    }
    const writable = new Promise<void>((resolve) => (call.onWritable = resolve));
    peer.socket.resume();
    await writable;
    call.cancel(Status.CANCELLED, 'done');
    assert.equal((await status).code, Status.CANCELLED);
    await peer.stop();
  });
});
