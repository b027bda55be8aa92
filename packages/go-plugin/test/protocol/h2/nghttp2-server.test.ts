/**
 * protocol/h2 against Node's own HTTP/2 server (nghttp2) over TCP on
 * 127.0.0.1, for what grpc-go servers never send us: padded frames, trailers
 * split into CONTINUATION frames, nghttp2's HPACK (Huffman, dynamic table),
 * GOAWAY, REFUSED_STREAM, MAX_CONCURRENT_STREAMS and tiny flow-control
 * windows; and what the server sees of our deadlines and cancels.
 */
import assert from 'node:assert/strict';
import { constants, createServer } from 'node:http2';
import type { Http2Server, Http2Session, IncomingHttpHeaders, ServerHttp2Stream, Settings } from 'node:http2';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';

import { Metadata } from '../../../src/protocol/grpc/metadata.js';
import { Status } from '../../../src/protocol/grpc/status.js';
import { H2Connection } from '../../../src/protocol/h2/connection.js';
import { FrameType } from '../../../src/protocol/h2/frames.js';
import { UnaryMethod } from '../../../src/protocol/h2/request-head.js';
import { unaryCall } from '../../../src/protocol/h2/unary.js';
import type { RpcError } from '../../../src/protocol/rpc-error.js';
import { connectH2 } from '../../support/h2-server.js';
import { rejection } from '../../support/rejection.js';

const m = (path: string): UnaryMethod => new UnaryMethod(path, { secure: false });

function frame(body: Buffer): Buffer {
  const f = Buffer.alloc(5 + body.length);
  f.writeUInt32BE(body.length, 1);
  body.copy(f, 5);
  return f;
}

interface Seen {
  headers: IncomingHttpHeaders;
  /** Resolves with the stream's RST_STREAM code once it closed. */
  closed: Promise<number>;
}

/**
 * An echo server: answers each request with its own message; the path picks
 * other behaviour. `seen` records each request's headers and how its stream
 * closed.
 */
async function start(settings: Settings = {}): Promise<{
  srv: Http2Server;
  conn: H2Connection;
  sessions: Http2Session[];
  seen: Seen[];
  streamSeen: (n: number) => Promise<void>;
  stop: () => Promise<void>;
}> {
  const srv = createServer({ paddingStrategy: constants.PADDING_STRATEGY_MAX, settings });
  const sessions: Http2Session[] = [];
  const seen: Seen[] = [];
  const streamWaiters: { n: number; resolve: () => void }[] = [];
  srv.on('session', (s) => sessions.push(s));
  srv.on('stream', (stream: ServerHttp2Stream, headers) => {
    seen.push({
      headers,
      closed: new Promise((resolve) => stream.on('close', () => resolve(stream.rstCode))),
    });
    for (const w of streamWaiters.filter((w) => seen.length >= w.n)) w.resolve();
    stream.on('error', () => {});
    const path = headers[':path'];
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    if (path === '/t/hold') return; // answers never
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      if (path === '/t/refuse') return stream.close(constants.NGHTTP2_REFUSED_STREAM);
      if (path === '/t/error') {
        stream.respond(
          {
            ':status': 200,
            'content-type': 'application/grpc',
            'grpc-status': '7',
            'grpc-message': 'no %C3%A9ntry',
            'grpc-status-details-bin': Buffer.from('details!').toString('base64'),
            'x-extra': 'one',
          },
          { endStream: true },
        );
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => {
        const t: Record<string, string> = { 'grpc-status': '0', 'x-size': String(body.length) };
        // 40 KB of trailer: HEADERS + CONTINUATION frames (nghttp2 frames at 16 KB).
        if (path === '/t/big-trailer') t['x-big'] = 'v'.repeat(40_000);
        stream.sendTrailers(t);
      });
      if (path === '/t/big-reply') stream.end(frame(Buffer.alloc(Number(body.subarray(5).toString()), 7)));
      else stream.end(body.length >= 5 ? body : frame(Buffer.from('pong')));
    });
  });
  const { conn, stop } = await connectH2(srv, sessions);
  return {
    srv,
    conn,
    sessions,
    seen,
    streamSeen: (n) =>
      seen.length >= n ? Promise.resolve() : new Promise((resolve) => streamWaiters.push({ n, resolve })),
    stop,
  };
}

describe('h2 client against node:http2 (nghttp2)', () => {
  it('padded DATA and HEADERS, CONTINUATION trailers, nghttp2 HPACK with its dynamic table', async () => {
    const t = await start();
    for (let i = 0; i < 3; i++) {
      const r = await unaryCall(t.conn, m('/t/big-trailer'), Buffer.from(`ping ${i}`));
      assert.equal(r.message.toString(), `ping ${i}`);
      assert.equal((r.trailers.get('x-big')[0] as string).length, 40_000);
      assert.deepEqual(r.trailers.get('x-size'), ['11']); // 5-byte prefix + 'ping i'
    }
    const r = await unaryCall(t.conn, m('/t/echo'), Buffer.alloc(100_000, 1));
    assert.equal(r.message.length, 100_000);
    assert.ok(t.conn.framesIn[FrameType.CONTINUATION]! > 0, 'no CONTINUATION frame was received');
    assert.ok(t.conn.paddedFramesIn > 0, 'no padded frame was received');
    assert.ok(t.conn.decoder.tableLength > 0, 'nghttp2 used no dynamic table entries');
    await t.stop();
  });

  it('a trailers-only error: status, percent-decoded message, details, metadata', async () => {
    const t = await start();
    const err = await rejection(unaryCall(t.conn, m('/t/error'), Buffer.from('x')));
    assert.equal(err.code, Status.PERMISSION_DENIED);
    assert.equal(err.details, 'no éntry');
    assert.deepEqual(Buffer.from(err.statusDetails!), Buffer.from('details!'));
    assert.deepEqual(err.metadata.get('x-extra'), ['one']);
    await t.stop();
  });

  it('request metadata and grpc-timeout reach the server', async () => {
    const t = await start();
    const md = new Metadata();
    md.add('x-one', 'a');
    md.add('x-one', 'b');
    md.set('x-raw-bin', Buffer.from([0, 255]));
    await unaryCall(t.conn, m('/t/echo'), Buffer.from('x'), { metadata: md, deadline: Date.now() + 60_000 });
    const h = t.seen[0]!.headers;
    assert.equal(h['x-one'], 'a, b');
    assert.equal(h['x-raw-bin'], Buffer.from([0, 255]).toString('base64'));
    assert.match(String(h['grpc-timeout']), /^\d{1,8}[um]$/);
    assert.equal(h['content-type'], 'application/grpc');
    assert.equal(h.te, 'trailers');
    assert.equal(h[':scheme'], 'http');
    await t.stop();
  });

  it('a deadline: DEADLINE_EXCEEDED here, RST_STREAM CANCEL seen by the server', async () => {
    const t = await start();
    const err = await rejection(
      unaryCall(t.conn, m('/t/hold'), Buffer.from('x'), { deadline: Date.now() + 100 }),
    );
    assert.equal(err.code, Status.DEADLINE_EXCEEDED);
    const s = t.seen[0]!;
    assert.ok(Number(String(s.headers['grpc-timeout']).slice(0, -1)) > 0);
    assert.equal(await s.closed, constants.NGHTTP2_CANCEL);
    await t.stop();
  });

  it('an AbortSignal: CANCELLED here, RST_STREAM CANCEL seen by the server', async () => {
    const t = await start();
    const ac = new AbortController();
    const call = unaryCall(t.conn, m('/t/hold'), Buffer.from('x'), { signal: ac.signal });
    await t.streamSeen(1);
    ac.abort(new Error('user gave up'));
    const err = await rejection(call);
    assert.equal(err.code, Status.CANCELLED);
    assert.match(err.details, /user gave up/);
    assert.equal(await t.seen[0]!.closed, constants.NGHTTP2_CANCEL);
    await t.stop();
  });

  it('RST_STREAM REFUSED_STREAM -> UNAVAILABLE', async () => {
    const t = await start();
    const err = await rejection(unaryCall(t.conn, m('/t/refuse'), Buffer.from('x')));
    assert.equal(err.code, Status.UNAVAILABLE);
    await t.stop();
  });

  it('a 5 MiB response -> RESOURCE_EXHAUSTED naming both sizes; the connection still serves', async () => {
    const t = await start();
    const err = await rejection(unaryCall(t.conn, m('/t/big-reply'), Buffer.from(String(5 << 20))));
    assert.equal(err.code, Status.RESOURCE_EXHAUSTED);
    assert.equal(err.details, `grpc: received message larger than max (${5 << 20} vs. ${4 << 20})`);
    const ok = await unaryCall(t.conn, m('/t/big-reply'), Buffer.from(String((4 << 20) - 16)));
    assert.equal(ok.message.length, (4 << 20) - 16);
    const small = await rejection(
      unaryCall(t.conn, m('/t/big-reply'), Buffer.from('100'), { maxReceiveMessageBytes: 99 }),
    );
    assert.equal(small.details, 'grpc: received message larger than max (100 vs. 99)');
    await t.stop();
  });

  it('a request above maxSendMessageBytes fails before anything is sent', async () => {
    const t = await start();
    const err = await rejection(
      unaryCall(t.conn, m('/t/echo'), Buffer.alloc(11), { maxSendMessageBytes: 10 }),
    );
    assert.equal(err.code, Status.RESOURCE_EXHAUSTED);
    assert.equal(err.details, 'trying to send message larger than max (11 vs. 10)');
    assert.equal(t.seen.length, 0);
    await t.stop();
  });

  it('GOAWAY: calls above last-stream-id fail UNAVAILABLE, and so do new calls', async () => {
    const t = await start();
    await unaryCall(t.conn, m('/t/echo'), Buffer.from('first')); // stream 1
    const held = [1, 2, 3].map(() => rejection(unaryCall(t.conn, m('/t/hold'), Buffer.from('x'))));
    await t.streamSeen(4);
    t.sessions[0]!.goaway(constants.NGHTTP2_NO_ERROR, 1);
    for (const err of await Promise.all(held)) {
      assert.equal(err.code, Status.UNAVAILABLE);
      assert.match(err.details, /server sent GOAWAY with NO_ERROR/);
    }
    const after = await rejection(unaryCall(t.conn, m('/t/echo'), Buffer.from('x')));
    assert.equal(after.code, Status.UNAVAILABLE);
    await t.stop();
  });

  it('MAX_CONCURRENT_STREAMS 2 and a 100-byte peer window: 200 calls of 10 KB', async () => {
    const t = await start({ maxConcurrentStreams: 2, initialWindowSize: 100 });
    await unaryCall(t.conn, m('/t/echo'), Buffer.from('settings')); // the server's SETTINGS came first
    assert.equal(t.conn.peerMaxConcurrentStreams, 2);
    const rs = await Promise.all(
      Array.from({ length: 200 }, (_, i) => unaryCall(t.conn, m('/t/echo'), Buffer.alloc(10_000, i & 255))),
    );
    rs.forEach((r, i) => {
      assert.equal(r.message.length, 10_000);
      assert.equal(r.message[0], i & 255);
    });
    assert.ok(t.conn.framesIn[FrameType.WINDOW_UPDATE]! > 100);
    assert.equal(t.conn.activeStreams, 0);
    await t.stop();
  });
});

/** Two in-process Duplex ends wired to each other: no socket, no ref/unref, no setNoDelay (as a yamux stream). */
function duplexPair(): [Duplex, Duplex] {
  const make = (): Duplex & { peer?: Duplex } => {
    const d: Duplex & { peer?: Duplex } = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        d.peer!.push(chunk);
        cb();
      },
      final(cb) {
        d.peer!.push(null);
        cb();
      },
    });
    return d;
  };
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

describe('h2 client over a Duplex that is not a socket', () => {
  it('talks to a node:http2 server through an in-process stream pair', async () => {
    const srv = createServer();
    srv.on('stream', (stream, headers) => {
      stream.on('data', () => {});
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(frame(Buffer.from(String(headers[':path']))));
      });
    });
    const [client, server] = duplexPair();
    srv.emit('connection', server);
    const conn = new H2Connection(client);
    const r = await unaryCall(conn, m('/over/duplex'), Buffer.from('x'));
    assert.equal(r.message.toString(), '/over/duplex');
    conn.close();
    const err = await unaryCall(conn, m('/after/close'), Buffer.from('x')).then(
      () => assert.fail('a call after close succeeded'),
      (e: unknown) => e as RpcError,
    );
    assert.equal(err.code, Status.UNAVAILABLE);
    srv.close();
  });
});
