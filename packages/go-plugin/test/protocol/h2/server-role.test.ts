/**
 * The server side of protocol/h2, as a gRPC server (GrpcServer on the h2
 * transport, plain TCP), against a scripted client on a real socket: what a
 * correct client gets (settings, responses, trailers-only errors, flow
 * control, resets, GOAWAY on stop) and what a client breaking HTTP/2 gets
 * (GOAWAY or RST_STREAM with the right code; the server keeps serving others).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { GrpcServer } from '../../../src/protocol/grpc/server.js';
import type { ServerCall } from '../../../src/protocol/grpc/server.js';
import { H2Connection } from '../../../src/protocol/h2/connection.js';
import { H2Code } from '../../../src/protocol/h2/errors.js';
import { Flag, FrameType, Setting } from '../../../src/protocol/h2/frames.js';
import { encodeHeaderBlock } from '../../../src/protocol/h2/hpack-encoder.js';
import { RawClient } from '../../support/h2-client.js';
import type { DecodedFrame } from '../../support/h2-client.js';

const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};
const goawayCode = (f: DecodedFrame): number => f.payload.readUInt32BE(4);
const goawayLast = (f: DecodedFrame): number => f.payload.readUInt32BE(0) & 0x7fffffff;
const endsStream = (f: DecodedFrame): boolean => (f.flags & Flag.END_STREAM) !== 0;

/** Calls a Hold handler has open, by the request body; the abort reasons its signal saw. */
const held = new Map<string, ServerCall>();
const aborted = new Map<string, string>();
const unread: ServerCall[] = [];

let server: GrpcServer;
let port: number;

before(async () => {
  server = new GrpcServer({ maxReceiveMessageBytes: 1024 });
  server.register('/t.T/Echo', 'unary', (c) => c.readAll((m) => c.sendUnary(m ?? Buffer.alloc(0))));
  server.register('/t.T/Hold', 'unary', (c) =>
    c.readAll((m) => {
      const tag = m!.toString();
      held.set(tag, c);
      c.signal.addEventListener('abort', () => aborted.set(tag, (c.signal.reason as Error).message));
    }),
  );
  // Unread: its call is kept, and read only when a test says so.
  server.register('/t.T/Unread', 'unary', (c) => unread.push(c));
  server.register('/t.T/Many', 'server_streaming', (c) =>
    c.readAll(async (m) => {
      try {
        for (let i = 0; i < Number(m!.toString()); i++) await c.send(Buffer.alloc(1000, i));
        c.sendStatus({ code: 0, message: '' });
      } catch {
        // the client went away
      }
    }),
  );
  server.listener.listen(0, '127.0.0.1');
  await once(server.listener, 'listening');
  port = (server.listener.address() as AddressInfo).port;
});

after(async () => {
  await server.stop(0);
});

describe('protocol/h2 as a server: a correct client', () => {
  it('announces its settings and answers a unary call with headers, the message and OK trailers', async () => {
    const c = await RawClient.connect(port);
    const settings = await c.frame((f) => f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK));
    const values = new Map<number, number>();
    for (let p = 0; p < settings.payload.length; p += 6)
      values.set(settings.payload.readUInt16BE(p), settings.payload.readUInt32BE(p + 2));
    assert.equal(values.get(Setting.MAX_CONCURRENT_STREAMS), 1024);
    assert.equal(values.get(Setting.MAX_HEADER_LIST_SIZE), 64 * 1024);
    assert.equal(values.get(Setting.INITIAL_WINDOW_SIZE), 8 * 1024 * 1024);
    assert.equal(values.has(Setting.ENABLE_PUSH), false, 'ENABLE_PUSH is a client setting');
    await c.frame((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);

    c.request(1, '/t.T/Echo');
    c.message(1, Buffer.from('ping'));
    const headers = await c.frameOf(FrameType.HEADERS, 1);
    assert.equal(RawClient.field(headers, ':status'), '200');
    assert.equal(RawClient.field(headers, 'content-type'), 'application/grpc');
    assert.equal(endsStream(headers), false);
    const data = await c.frameOf(FrameType.DATA, 1);
    assert.deepEqual(data.payload, Buffer.from([0, 0, 0, 0, 4, ...Buffer.from('ping')]));
    const trailers = await c.frame((f) => f.type === FrameType.HEADERS && f.streamId === 1 && endsStream(f));
    assert.deepEqual(trailers.fields, [['grpc-status', '0']]);
    assert.equal(
      c.frames.filter((f) => f.type === FrameType.RST_STREAM).length,
      0,
      'a complete exchange: no reset',
    );
    c.destroy();
  });

  it('answers an unknown method trailers-only, and refuses GET (405) and other content types (415)', async () => {
    const c = await RawClient.connect(port);
    c.request(1, '/t.T/Nope', { end: true });
    const only = await c.frameOf(FrameType.HEADERS, 1);
    assert.ok(endsStream(only), 'trailers-only: one HEADERS with END_STREAM');
    assert.equal(RawClient.field(only, 'grpc-status'), '12');
    assert.equal(RawClient.field(only, 'grpc-message'), 'unknown method Nope for service t.T');

    c.send(
      FrameType.HEADERS,
      Flag.END_HEADERS | Flag.END_STREAM,
      3,
      encodeHeaderBlock([
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/t.T/Echo'],
      ]),
    );
    assert.equal(RawClient.field(await c.frameOf(FrameType.HEADERS, 3), ':status'), '405');
    c.send(
      FrameType.HEADERS,
      Flag.END_HEADERS | Flag.END_STREAM,
      5,
      encodeHeaderBlock([
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', '/t.T/Echo'],
        ['content-type', 'text/plain'],
      ]),
    );
    assert.equal(RawClient.field(await c.frameOf(FrameType.HEADERS, 5), ':status'), '415');
    c.destroy();
  });

  it('ends an oversized request with RESOURCE_EXHAUSTED, then resets the rest of it with NO_ERROR', async () => {
    const c = await RawClient.connect(port);
    c.request(1, '/t.T/Echo');
    const header = Buffer.alloc(5);
    header.writeUInt32BE(5000, 1);
    c.send(FrameType.DATA, 0, 1, header);
    const status = await c.frameOf(FrameType.HEADERS, 1);
    assert.equal(RawClient.field(status, 'grpc-status'), '8');
    assert.match(RawClient.field(status, 'grpc-message') ?? '', /larger than max \(5000 vs\. 1024\)/);
    const rst = await c.frameOf(FrameType.RST_STREAM, 1);
    assert.equal(rst.payload.readUInt32BE(0), H2Code.NO_ERROR);
    // DATA the client had in flight for the stream it no longer has is ignored; the connection serves on.
    c.send(FrameType.DATA, 0, 1, Buffer.alloc(100));
    c.request(3, '/t.T/Echo');
    c.message(3, Buffer.from('still'));
    assert.equal((await c.frameOf(FrameType.DATA, 3)).payload.subarray(5).toString(), 'still');
    c.destroy();
  });

  it("keeps to the client's windows: DATA cut to a 100-byte stream window, resumed by WINDOW_UPDATE", async () => {
    const c = await RawClient.connect(port, { settings: [[Setting.INITIAL_WINDOW_SIZE, 100]] });
    c.request(1, '/t.T/Many');
    c.message(1, Buffer.from('3'));
    const sent = (): number =>
      c.frames
        .filter((f) => f.type === FrameType.DATA && f.streamId === 1)
        .reduce((n, f) => n + f.payload.length, 0);
    // The server writes what the window holds, 100 bytes, and must then wait for us.
    await waitFor(() => sent() >= 100);
    assert.equal(sent(), 100);
    c.send(FrameType.WINDOW_UPDATE, 0, 1, u32(10_000));
    const trailers = await c.frame((f) => f.type === FrameType.HEADERS && f.streamId === 1 && endsStream(f));
    assert.equal(RawClient.field(trailers, 'grpc-status'), '0');
    assert.equal(sent(), 3 * 1005);
    c.destroy();
  });

  it('cuts a unary answer larger than the stream window too: 100 bytes, then the rest and OK trailers', async () => {
    const c = await RawClient.connect(port, { settings: [[Setting.INITIAL_WINDOW_SIZE, 100]] });
    c.request(1, '/t.T/Echo');
    c.message(1, Buffer.alloc(500, 7));
    const data = (): Buffer =>
      Buffer.concat(
        c.frames.filter((f) => f.type === FrameType.DATA && f.streamId === 1).map((f) => f.payload),
      );
    await waitFor(() => data().length >= 100);
    assert.equal(data().length, 100);
    assert.equal(c.frames.filter((f) => f.type === FrameType.HEADERS && f.streamId === 1).length, 1);
    c.send(FrameType.WINDOW_UPDATE, 0, 1, u32(10_000));
    const trailers = await c.frame((f) => f.type === FrameType.HEADERS && f.streamId === 1 && endsStream(f));
    assert.equal(RawClient.field(trailers, 'grpc-status'), '0');
    assert.deepEqual(data().subarray(5), Buffer.alloc(500, 7));
    c.destroy();
  });

  it('holds the stream window of a call whose handler has not read yet, and gives it back once it reads', async () => {
    const c = await RawClient.connect(port);
    c.request(1, '/t.T/Unread');
    // 5 MiB of 1,000-byte messages in 16 KiB DATA frames: past half of our 8 MiB window, where a stream that
    // is read gets its WINDOW_UPDATE.
    const message = Buffer.alloc(1005);
    message.writeUInt32BE(1000, 1);
    const body = Buffer.concat(Array.from({ length: 5300 }, () => message)).subarray(0, 320 * 16_384);
    for (let i = 0; i < 320; i++) c.send(FrameType.DATA, 0, 1, body.subarray(i * 16_384, (i + 1) * 16_384));
    c.send(FrameType.PING, 0, 0, Buffer.alloc(8));
    await c.frame((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0);
    const streamUpdates = (): number =>
      c.frames.filter((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 1).length;
    assert.ok(
      c.frames.some((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 0),
      'the connection window is given back',
    );
    assert.equal(streamUpdates(), 0, "the stream's is held while nobody reads");
    const call = unread.shift()!;
    call.readAll(() => {});
    const update = await c.frameOf(FrameType.WINDOW_UPDATE, 1);
    assert.equal(update.payload.readUInt32BE(0), 320 * 16_384);
    c.destroy();
  });

  it("aborts the handler's signal when the client resets its stream, and forgets the stream", async () => {
    const c = await RawClient.connect(port);
    c.request(1, '/t.T/Hold');
    c.message(1, Buffer.from('reset-me'));
    await waitFor(() => held.has('reset-me'));
    c.send(FrameType.RST_STREAM, 0, 1, u32(H2Code.CANCEL));
    await waitFor(() => aborted.has('reset-me'));
    assert.equal(aborted.get('reset-me'), 'call cancelled by the client');
    assert.equal(held.get('reset-me')!.done, true);
    c.destroy();
  });

  it('lets calls in flight finish after the client says GOAWAY (NO_ERROR)', async () => {
    const c = await RawClient.connect(port);
    c.request(1, '/t.T/Hold');
    c.message(1, Buffer.from('after-goaway'));
    await waitFor(() => held.has('after-goaway'));
    c.send(FrameType.GOAWAY, 0, 0, Buffer.alloc(8));
    await new Promise((r) => setImmediate(r));
    held.get('after-goaway')!.sendUnary(Buffer.from('done'));
    assert.equal((await c.frameOf(FrameType.DATA, 1)).payload.subarray(5).toString(), 'done');
    assert.equal(aborted.has('after-goaway'), false);
    c.destroy();
  });
});

describe('protocol/h2 as a server: a client breaking HTTP/2', () => {
  const connectionErrors: [string, (c: RawClient) => void, number, RegExp?][] = [
    [
      'a wrong preface',
      (c) => c.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
      H2Code.PROTOCOL_ERROR,
    ],
    ['a stream with an even id', (c) => c.request(2, '/t.T/Echo'), H2Code.PROTOCOL_ERROR],
    [
      'DATA on a stream it never opened',
      (c) => c.send(FrameType.DATA, 0, 7, Buffer.alloc(1)),
      H2Code.PROTOCOL_ERROR,
    ],
    [
      'PUSH_PROMISE',
      (c) => c.send(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.alloc(4)),
      H2Code.PROTOCOL_ERROR,
    ],
    [
      'a stream id lower than one it used',
      (c) => {
        c.request(5, '/t.T/Nope', { end: true });
        c.request(3, '/t.T/Nope', { end: true });
      },
      H2Code.STREAM_CLOSED,
    ],
    [
      'a header block past the 64 KiB cap in CONTINUATIONs',
      (c) => {
        c.send(FrameType.HEADERS, 0, 1, Buffer.alloc(16_000));
        for (let i = 0; i < 5; i++) c.send(FrameType.CONTINUATION, 0, 1, Buffer.alloc(16_000));
      },
      H2Code.ENHANCE_YOUR_CALM,
    ],
  ];
  for (const [what, act, code] of connectionErrors) {
    it(`answers ${what} with GOAWAY and closes`, async () => {
      const c = await RawClient.connect(port, { preface: what !== 'a wrong preface' });
      act(c);
      const goaway = await c.frameOf(FrameType.GOAWAY);
      assert.equal(goawayCode(goaway), code);
      await c.closed();
    });
  }

  it('resets a stream that sends DATA after its END_STREAM (STREAM_CLOSED), and serves on', async () => {
    const c = await RawClient.connect(port);
    c.request(1, '/t.T/Hold');
    c.message(1, Buffer.from('closed-side'));
    await waitFor(() => held.has('closed-side'));
    c.send(FrameType.DATA, 0, 1, Buffer.alloc(10));
    const rst = await c.frameOf(FrameType.RST_STREAM, 1);
    assert.equal(rst.payload.readUInt32BE(0), H2Code.STREAM_CLOSED);
    await waitFor(() => aborted.has('closed-side'));
    c.request(3, '/t.T/Echo');
    c.message(3, Buffer.from('ok'));
    assert.equal((await c.frameOf(FrameType.DATA, 3)).payload.subarray(5).toString(), 'ok');
    c.destroy();
  });

  it('refuses streams past its MAX_CONCURRENT_STREAMS with REFUSED_STREAM', async () => {
    const net: Server = createServer((socket) => {
      const conn = new H2Connection(socket, { role: 'server', maxConcurrentStreams: 2 });
      conn.onStream = () => ({ onHeaders() {}, onData() {}, onError() {} });
    });
    net.listen(0, '127.0.0.1');
    await once(net, 'listening');
    const c = await RawClient.connect((net.address() as AddressInfo).port);
    for (const id of [1, 3, 5]) c.request(id, '/t.T/Any');
    const rst = await c.frameOf(FrameType.RST_STREAM);
    assert.equal(rst.streamId, 5);
    assert.equal(rst.payload.readUInt32BE(0), H2Code.REFUSED_STREAM);
    assert.equal(c.frames.filter((f) => f.type === FrameType.RST_STREAM).length, 1);
    c.destroy();
    net.close();
  });
});

describe('protocol/h2 as a server: stopping', () => {
  it('sends GOAWAY naming the last stream it took, finishes that call, then closes', async () => {
    const s = new GrpcServer();
    let hold: ServerCall | undefined;
    s.register('/t.T/Hold', 'unary', (c) => c.readAll(() => (hold = c)));
    s.listener.listen(0, '127.0.0.1');
    await once(s.listener, 'listening');
    const c = await RawClient.connect((s.listener.address() as AddressInfo).port);
    c.request(1, '/t.T/Hold');
    c.message(1, Buffer.from('x'));
    await waitFor(() => hold !== undefined);
    const stopped = s.stop(5000);
    const goaway = await c.frameOf(FrameType.GOAWAY);
    assert.equal(goawayLast(goaway), 1);
    assert.equal(goawayCode(goaway), H2Code.NO_ERROR);
    assert.equal(hold!.signal.aborted, true, 'the handler is told the server stops');
    // A stream opened after the GOAWAY is refused; the one in flight still completes.
    c.request(3, '/t.T/Hold');
    c.message(3, Buffer.from('y'));
    assert.equal((await c.frameOf(FrameType.RST_STREAM, 3)).payload.readUInt32BE(0), H2Code.REFUSED_STREAM);
    hold!.sendUnary(Buffer.from('late'));
    assert.equal((await c.frameOf(FrameType.DATA, 1)).payload.subarray(5).toString(), 'late');
    await stopped;
    await c.closed();
    assert.equal(s.connections, 0);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
