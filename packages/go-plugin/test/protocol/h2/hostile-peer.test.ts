/**
 * protocol/h2 against a scripted server on a real TCP socket that sends what
 * no correct server would: every failure is a typed H2Error (as the call's
 * `cause`), the server is told why (GOAWAY or RST_STREAM with the HTTP/2
 * code), calls end with the gRPC status grpc-go would give, and nothing
 * throws out of the socket callbacks.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';

import { Status } from '../../../src/protocol/grpc/status.js';
import { H2Code, H2Error } from '../../../src/protocol/h2/errors.js';
import type { H2ErrorCode } from '../../../src/protocol/h2/errors.js';
import { encodeSettings, Flag, FrameType, Setting } from '../../../src/protocol/h2/frames.js';
import { encodeHeaderBlock, encodeInteger } from '../../../src/protocol/h2/hpack-encoder.js';
import { UnaryMethod } from '../../../src/protocol/h2/request-head.js';
import { unaryCall } from '../../../src/protocol/h2/unary.js';
import type { UnaryResult } from '../../../src/protocol/h2/unary.js';
import { RawPeer } from '../../support/h2-peer.js';
import { rejection } from '../../support/rejection.js';

const METHOD = new UnaryMethod('/t.S/M');
const RESPONSE_HEADERS = encodeHeaderBlock([
  [':status', '200'],
  ['content-type', 'application/grpc'],
]);
const OK_TRAILERS = encodeHeaderBlock([['grpc-status', '0']]);

function grpcMessage(body: Buffer, flag = 0): Buffer {
  const b = Buffer.alloc(5 + body.length);
  b[0] = flag;
  b.writeUInt32BE(body.length, 1);
  body.copy(b, 5);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

/** A complete good response on `id`. */
function respond(peer: RawPeer, id: number, body = Buffer.from('pong')): void {
  peer.send(FrameType.HEADERS, Flag.END_HEADERS, id, RESPONSE_HEADERS);
  peer.send(FrameType.DATA, 0, id, grpcMessage(body));
  peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, OK_TRAILERS);
}

/** A call on a fresh peer, its HEADERS already received by the peer. */
async function callInFlight(
  options: Parameters<typeof RawPeer.start>[0] = {},
): Promise<{ peer: RawPeer; call: Promise<UnaryResult> }> {
  const peer = await RawPeer.start(options);
  const call = unaryCall(peer.conn, METHOD, Buffer.from('ping'));
  call.catch(() => {}); // asserted by the test
  await peer.frameOf(FrameType.HEADERS, 1);
  return { peer, call };
}

/**
 * Runs `script` against a call in flight and asserts a connection error:
 * the call fails UNAVAILABLE with `code` as its cause and a message matching
 * `message`, the peer gets GOAWAY with `h2Code`, the socket is closed and new
 * calls fail at once.
 */
async function expectConnectionError(
  script: (peer: RawPeer) => void,
  code: H2ErrorCode,
  h2Code: number,
  message: RegExp,
  options: Parameters<typeof RawPeer.start>[0] = {},
): Promise<void> {
  const { peer, call } = await callInFlight(options);
  script(peer);
  const err = await rejection(call);
  assert.equal(Status[err.code], 'UNAVAILABLE', err.message);
  assert.ok(err.cause instanceof H2Error, `cause: ${String(err.cause)}`);
  assert.equal(err.cause.code, code);
  assert.equal(err.cause.h2Code, h2Code);
  assert.equal(err.cause.scope, 'connection');
  assert.match(err.details, message);
  const goaway = await peer.frameOf(FrameType.GOAWAY);
  assert.equal(goaway.payload.readUInt32BE(4), h2Code, 'GOAWAY error code');
  await peer.closed();
  const after = await rejection(unaryCall(peer.conn, METHOD, Buffer.from('x')));
  assert.equal(after.code, Status.UNAVAILABLE);
  assert.equal((after.cause as H2Error).code, code);
  await peer.stop();
}

function hpack(build: (out: number[]) => void): Buffer {
  const out: number[] = [];
  build(out);
  return Buffer.from(out);
}

describe('h2 connection: a server that breaks HTTP/2', () => {
  it('advertises the header-list cap and push off in its first SETTINGS', async () => {
    const peer = await RawPeer.start({ client: { maxHeaderListBytes: 1000 } });
    const settings = await peer.frame((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) === 0);
    const values = new Map<number, number>();
    for (let p = 0; p < settings.payload.length; p += 6) {
      values.set(settings.payload.readUInt16BE(p), settings.payload.readUInt32BE(p + 2));
    }
    assert.equal(values.get(Setting.MAX_HEADER_LIST_SIZE), 1000);
    assert.equal(values.get(Setting.ENABLE_PUSH), 0);
    assert.equal(values.get(Setting.HEADER_TABLE_SIZE), 4096);
    assert.equal(peer.prefaceError, undefined);
    // And the client ACKs ours.
    await peer.frame((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
    await peer.stop();
  });

  it('a CONTINUATION flood past 64 KiB fails the connection without buffering it', () =>
    expectConnectionError(
      (peer) => {
        const chunk = Buffer.alloc(16_000, 0x40);
        peer.send(FrameType.HEADERS, 0, 1, chunk);
        for (let i = 0; i < 10; i++) peer.send(FrameType.CONTINUATION, 0, 1, chunk);
      },
      'HEADER_LIST_TOO_LARGE',
      H2Code.ENHANCE_YOUR_CALM,
      /header block of 80000\+ bytes exceeds the limit of 65536 bytes \(SETTINGS_MAX_HEADER_LIST_SIZE\)/,
    ));

  it('a single HEADERS frame above a configured cap fails the connection', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.alloc(2000, 0x88)),
      'HEADER_LIST_TOO_LARGE',
      H2Code.ENHANCE_YOUR_CALM,
      /exceeds the limit of 1024 bytes \(SETTINGS_MAX_HEADER_LIST_SIZE\)/,
      { client: { maxHeaderListBytes: 1024 } },
    ));

  it('a small block that decodes past the cap (dynamic-table references) fails the connection', () =>
    expectConnectionError(
      (peer) => {
        // One 4000-byte value into the table, then 20 one-byte references to it: ~80 KB decoded.
        const block = hpack((out) => {
          out.push(0x40 | 0x00);
          encodeInteger(out, 5, 7, 0);
          out.push(...Buffer.from('x-big'));
          encodeInteger(out, 4000, 7, 0);
          out.push(...Buffer.alloc(4000, 0x61));
          for (let i = 0; i < 20; i++) encodeInteger(out, 62, 7, 0x80);
        });
        assert.ok(block.length < 5000);
        peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block);
      },
      'HEADER_LIST_TOO_LARGE',
      H2Code.ENHANCE_YOUR_CALM,
      /decoded header list exceeds the limit of 65536 bytes \(SETTINGS_MAX_HEADER_LIST_SIZE\)/,
    ));

  it('an HPACK table size update above our SETTINGS_HEADER_TABLE_SIZE is a COMPRESSION_ERROR', () =>
    expectConnectionError(
      (peer) =>
        peer.send(
          FrameType.HEADERS,
          Flag.END_HEADERS,
          1,
          hpack((o) => encodeInteger(o, 8192, 5, 0x20)),
        ),
      'HPACK_TABLE_SIZE',
      H2Code.COMPRESSION_ERROR,
      /table size update to 8192 bytes, above our SETTINGS_HEADER_TABLE_SIZE of 4096/,
    ));

  it('an HPACK table size update after a field is a COMPRESSION_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0x88, 0x20])),
      'HPACK_TABLE_SIZE',
      H2Code.COMPRESSION_ERROR,
      /table size update after a header field/,
    ));

  it('an HPACK index beyond the tables is a COMPRESSION_ERROR', () =>
    expectConnectionError(
      (peer) =>
        peer.send(
          FrameType.HEADERS,
          Flag.END_HEADERS,
          1,
          hpack((o) => encodeInteger(o, 70, 7, 0x80)),
        ),
      'HPACK_INDEX',
      H2Code.COMPRESSION_ERROR,
      /HPACK index 70 beyond the table \(61 static \+ 0 dynamic entries\)/,
    ));

  it('HPACK index 0 is a COMPRESSION_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0x80])),
      'HPACK_INDEX',
      H2Code.COMPRESSION_ERROR,
      /HPACK index 0/,
    ));

  for (const [what, bytes, message] of [
    ['padding of 0-bits', [0x00], /padding is not a prefix of EOS/],
    ['padding longer than 7 bits', [0xff, 0xff], /padding of 16 bits/],
    ['EOS in the string', [0xff, 0xff, 0xff, 0xff], /contains EOS/],
  ] as const) {
    it(`a Huffman string with ${what} is a COMPRESSION_ERROR`, () =>
      expectConnectionError(
        (peer) => {
          // content-type (static name 31), literal without indexing, Huffman value.
          const block = hpack((o) => {
            encodeInteger(o, 31, 4, 0);
            encodeInteger(o, bytes.length, 7, 0x80);
            o.push(...bytes);
          });
          peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block);
        },
        'HPACK_HUFFMAN',
        H2Code.COMPRESSION_ERROR,
        message,
      ));
  }

  it('a truncated HPACK string is a COMPRESSION_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0x0f, 0x10, 0x05, 0x61])),
      'HPACK_MALFORMED',
      H2Code.COMPRESSION_ERROR,
      /HPACK string of 5 bytes past the block end/,
    ));

  it('a frame above our SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR (before its payload is read)', () =>
    expectConnectionError(
      (peer) => peer.write(Buffer.from([0x00, 0x40, 0x01, FrameType.DATA, 0, 0, 0, 0, 1])),
      'FRAME_TOO_LARGE',
      H2Code.FRAME_SIZE_ERROR,
      /frame of 16385 bytes exceeds our SETTINGS_MAX_FRAME_SIZE of 16384/,
    ));

  it('DATA on a stream the server already ended is STREAM_CLOSED', async () => {
    const { peer, call } = await callInFlight();
    respond(peer, 1);
    assert.equal((await call).message.toString(), 'pong');
    const second = unaryCall(peer.conn, METHOD, Buffer.from('again'));
    await peer.frameOf(FrameType.HEADERS, 3);
    peer.send(FrameType.DATA, 0, 1, grpcMessage(Buffer.from('late')));
    const err = await rejection(second);
    assert.equal(err.code, Status.UNAVAILABLE);
    assert.equal((err.cause as H2Error).code, 'STREAM_CLOSED');
    assert.match(err.details, /DATA on stream 1, which the server had already ended/);
    const goaway = await peer.frameOf(FrameType.GOAWAY);
    assert.equal(goaway.payload.readUInt32BE(4), H2Code.STREAM_CLOSED);
    await peer.stop();
  });

  it('DATA still in flight for a stream we reset is ignored (and counted against the window)', async () => {
    const peer = await RawPeer.start();
    const ac = new AbortController();
    const first = unaryCall(peer.conn, METHOD, Buffer.from('ping'), { signal: ac.signal });
    await peer.frameOf(FrameType.HEADERS, 1);
    ac.abort();
    const err = await rejection(first);
    assert.equal(err.code, Status.CANCELLED);
    const rst = await peer.frameOf(FrameType.RST_STREAM, 1);
    assert.equal(rst.payload.readUInt32BE(0), H2Code.CANCEL);
    const windowBefore = peer.conn.connRecvWindow;
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, RESPONSE_HEADERS);
    peer.send(FrameType.DATA, 0, 1, grpcMessage(Buffer.from('late')));
    const second = unaryCall(peer.conn, METHOD, Buffer.from('again'));
    await peer.frameOf(FrameType.HEADERS, 3);
    respond(peer, 3);
    assert.equal((await second).message.toString(), 'pong');
    // The ignored DATA (9 bytes) and the second answer's (9) both count against the connection window.
    assert.equal(windowBefore - peer.conn.connRecvWindow, 18);
    await peer.stop();
  });

  it('DATA on a stream we never opened is IDLE_STREAM', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.DATA, 0, 5, grpcMessage(Buffer.from('x'))),
      'IDLE_STREAM',
      H2Code.PROTOCOL_ERROR,
      /DATA on stream 5, which we did not open/,
    ));

  it('HEADERS on an even (server-initiated) stream is IDLE_STREAM', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.HEADERS, Flag.END_HEADERS, 2, RESPONSE_HEADERS),
      'IDLE_STREAM',
      H2Code.PROTOCOL_ERROR,
      /HEADERS on stream 2, which we did not open/,
    ));

  it('a connection WINDOW_UPDATE past 2^31-1 is a FLOW_CONTROL_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1)),
      'WINDOW_OVERFLOW',
      H2Code.FLOW_CONTROL_ERROR,
      /WINDOW_UPDATE of 2147483647 takes the connection window above 2\^31-1/,
    ));

  it('SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1 is a FLOW_CONTROL_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.SETTINGS, 0, 0, encodeSettings([[Setting.INITIAL_WINDOW_SIZE, 2 ** 31]])),
      'WINDOW_OVERFLOW',
      H2Code.FLOW_CONTROL_ERROR,
      /SETTINGS_INITIAL_WINDOW_SIZE of 2147483648 is above 2\^31-1/,
    ));

  it('a stream WINDOW_UPDATE past 2^31-1 resets that stream only (INTERNAL)', async () => {
    const { peer, call } = await callInFlight();
    peer.send(FrameType.WINDOW_UPDATE, 0, 1, u32(2 ** 31 - 1));
    const err = await rejection(call);
    assert.equal(err.code, Status.INTERNAL);
    assert.equal((err.cause as H2Error).code, 'WINDOW_OVERFLOW');
    assert.equal((err.cause as H2Error).scope, 'stream');
    assert.match(err.details, /takes stream 1's window above 2\^31-1/);
    const rst = await peer.frameOf(FrameType.RST_STREAM, 1);
    assert.equal(rst.payload.readUInt32BE(0), H2Code.FLOW_CONTROL_ERROR);
    const next = unaryCall(peer.conn, METHOD, Buffer.from('x'));
    await peer.frameOf(FrameType.HEADERS, 3);
    respond(peer, 3);
    assert.equal((await next).message.toString(), 'pong');
    await peer.stop();
  });

  it("DATA past a stream's receive window resets that stream (FLOW_CONTROL_ERROR, INTERNAL)", async () => {
    const { peer, call } = await callInFlight({ client: { receiveWindowBytes: 1000 } });
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, RESPONSE_HEADERS);
    peer.send(FrameType.DATA, 0, 1, grpcMessage(Buffer.alloc(1995)));
    const err = await rejection(call);
    assert.equal(err.code, Status.INTERNAL);
    assert.equal((err.cause as H2Error).code, 'WINDOW_OVERRUN');
    assert.match(err.details, /server sent 1000 bytes past stream 1's window/);
    const rst = await peer.frameOf(FrameType.RST_STREAM, 1);
    assert.equal(rst.payload.readUInt32BE(0), H2Code.FLOW_CONTROL_ERROR);
    await peer.stop();
  });

  it('padding longer than the frame is a PROTOCOL_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED, 1, Buffer.from([200, 0x88])),
      'PADDING',
      H2Code.PROTOCOL_ERROR,
      /HEADERS frame with 200 bytes of padding in 1/,
    ));

  it('a header block interrupted by another frame is a PROTOCOL_ERROR', () =>
    expectConnectionError(
      (peer) => {
        peer.send(FrameType.HEADERS, 0, 1, Buffer.from([0x88]));
        peer.send(FrameType.PING, 0, 0, Buffer.alloc(8));
      },
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /header block of stream 1 interrupted by a frame of type 6/,
    ));

  it('PUSH_PROMISE (we disabled push) is a PROTOCOL_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.from([0, 0, 0, 2, 0x82])),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /PUSH_PROMISE, but we disabled push/,
    ));

  it('a connection WINDOW_UPDATE of 0 is a PROTOCOL_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.WINDOW_UPDATE, 0, 0, u32(0)),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /connection WINDOW_UPDATE of 0/,
    ));

  it('a PING of 7 bytes is a FRAME_SIZE_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.PING, 0, 0, Buffer.alloc(7)),
      'FRAME_SIZE',
      H2Code.FRAME_SIZE_ERROR,
      /PING frame of 7 bytes/,
    ));

  it('SETTINGS_MAX_FRAME_SIZE below 16384 is a PROTOCOL_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.SETTINGS, 0, 0, encodeSettings([[Setting.MAX_FRAME_SIZE, 100]])),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /SETTINGS_MAX_FRAME_SIZE of 100 is out of range/,
    ));

  it('a first frame that is not SETTINGS is a PROTOCOL_ERROR', () =>
    expectConnectionError(
      (peer) => peer.send(FrameType.PING, 0, 0, Buffer.alloc(8)),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /first frame is of type 6, not SETTINGS/,
      { sendSettings: false },
    ));
});

describe('h2 connection: every other malformed frame is a connection error', () => {
  const cases: [string, (peer: RawPeer) => void, H2ErrorCode, number, RegExp][] = [
    [
      'PRIORITY of 4 bytes',
      (p) => p.send(FrameType.PRIORITY, 0, 1, Buffer.alloc(4)),
      'FRAME_SIZE',
      H2Code.FRAME_SIZE_ERROR,
      /PRIORITY frame of 4 bytes/,
    ],
    [
      'PRIORITY on stream 0',
      (p) => p.send(FrameType.PRIORITY, 0, 0, Buffer.alloc(5)),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /PRIORITY on stream 0/,
    ],
    [
      'RST_STREAM of 3 bytes',
      (p) => p.send(FrameType.RST_STREAM, 0, 1, Buffer.alloc(3)),
      'FRAME_SIZE',
      H2Code.FRAME_SIZE_ERROR,
      /RST_STREAM frame of 3 bytes/,
    ],
    [
      'RST_STREAM on an idle stream',
      (p) => p.send(FrameType.RST_STREAM, 0, 7, u32(8)),
      'IDLE_STREAM',
      H2Code.PROTOCOL_ERROR,
      /RST_STREAM on stream 7, which we did not open/,
    ],
    [
      'SETTINGS ACK with a payload',
      (p) => p.send(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(6)),
      'FRAME_SIZE',
      H2Code.FRAME_SIZE_ERROR,
      /SETTINGS ACK frame of 6 bytes/,
    ],
    [
      'SETTINGS of 5 bytes',
      (p) => p.send(FrameType.SETTINGS, 0, 0, Buffer.alloc(5)),
      'FRAME_SIZE',
      H2Code.FRAME_SIZE_ERROR,
      /SETTINGS frame of 5 bytes/,
    ],
    [
      'SETTINGS on a stream',
      (p) => p.send(FrameType.SETTINGS, 0, 1, Buffer.alloc(0)),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /SETTINGS on stream 1/,
    ],
    [
      'SETTINGS_ENABLE_PUSH of 2',
      (p) => p.send(FrameType.SETTINGS, 0, 0, encodeSettings([[Setting.ENABLE_PUSH, 2]])),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /SETTINGS_ENABLE_PUSH of 2/,
    ],
    [
      'GOAWAY of 4 bytes',
      (p) => p.send(FrameType.GOAWAY, 0, 0, Buffer.alloc(4)),
      'FRAME_SIZE',
      H2Code.FRAME_SIZE_ERROR,
      /GOAWAY frame of 4 bytes/,
    ],
    [
      'GOAWAY on a stream',
      (p) => p.send(FrameType.GOAWAY, 0, 1, Buffer.alloc(8)),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /GOAWAY on stream 1/,
    ],
    [
      'WINDOW_UPDATE of 3 bytes',
      (p) => p.send(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(3)),
      'FRAME_SIZE',
      H2Code.FRAME_SIZE_ERROR,
      /WINDOW_UPDATE frame of 3 bytes/,
    ],
    [
      'WINDOW_UPDATE on an idle stream',
      (p) => p.send(FrameType.WINDOW_UPDATE, 0, 9, u32(1)),
      'IDLE_STREAM',
      H2Code.PROTOCOL_ERROR,
      /WINDOW_UPDATE on stream 9, which we did not open/,
    ],
    [
      'PING on a stream',
      (p) => p.send(FrameType.PING, 0, 1, Buffer.alloc(8)),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /PING on stream 1/,
    ],
    [
      'padded DATA without a pad length',
      (p) => p.send(FrameType.DATA, Flag.PADDED, 1, Buffer.alloc(0)),
      'FRAME_SIZE',
      H2Code.FRAME_SIZE_ERROR,
      /padded DATA frame of 0 bytes/,
    ],
    [
      'HEADERS too short for its priority fields',
      (p) => p.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.PRIORITY, 1, Buffer.alloc(3)),
      'FRAME_SIZE',
      H2Code.FRAME_SIZE_ERROR,
      /HEADERS with priority frame of 3 bytes/,
    ],
    [
      'CONTINUATION without a header block',
      (p) => p.send(FrameType.CONTINUATION, Flag.END_HEADERS, 1, Buffer.from([0x88])),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /CONTINUATION on stream 1 without a header block to continue/,
    ],
    [
      'CONTINUATION for another stream',
      (p) => {
        p.send(FrameType.HEADERS, 0, 1, Buffer.from([0x88]));
        p.send(FrameType.CONTINUATION, Flag.END_HEADERS, 3, Buffer.from([0x88]));
      },
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /CONTINUATION on stream 3 without a header block to continue/,
    ],
    [
      'DATA on stream 0',
      (p) => p.send(FrameType.DATA, 0, 0, Buffer.alloc(1)),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /DATA on stream 0/,
    ],
    [
      'HEADERS on stream 0',
      (p) => p.send(FrameType.HEADERS, Flag.END_HEADERS, 0, Buffer.from([0x88])),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /HEADERS on stream 0/,
    ],
    [
      'SETTINGS_MAX_FRAME_SIZE above 2^24-1',
      (p) => p.send(FrameType.SETTINGS, 0, 0, encodeSettings([[Setting.MAX_FRAME_SIZE, 2 ** 24]])),
      'PROTOCOL',
      H2Code.PROTOCOL_ERROR,
      /SETTINGS_MAX_FRAME_SIZE of 16777216 is out of range/,
    ],
    [
      "SETTINGS_INITIAL_WINDOW_SIZE that takes an open stream's window past 2^31-1",
      (p) => {
        p.send(FrameType.WINDOW_UPDATE, 0, 1, u32(2 ** 31 - 1 - 65_535));
        p.send(FrameType.SETTINGS, 0, 0, encodeSettings([[Setting.INITIAL_WINDOW_SIZE, 65_536 + 10]]));
      },
      'WINDOW_OVERFLOW',
      H2Code.FLOW_CONTROL_ERROR,
      /takes stream 1's window above 2\^31-1/,
    ],
  ];
  for (const [what, script, code, h2Code, message] of cases) {
    it(what, () => expectConnectionError(script, code, h2Code, message));
  }

  it('a stream WINDOW_UPDATE of 0 resets that stream (PROTOCOL_ERROR, INTERNAL)', async () => {
    const { peer, call } = await callInFlight();
    peer.send(FrameType.WINDOW_UPDATE, 0, 1, u32(0));
    const err = await rejection(call);
    assert.equal(err.code, Status.INTERNAL);
    assert.equal((err.cause as H2Error).code, 'PROTOCOL');
    assert.match(err.details, /WINDOW_UPDATE of 0 on stream 1/);
    const rst = await peer.frameOf(FrameType.RST_STREAM, 1);
    assert.equal(rst.payload.readUInt32BE(0), H2Code.PROTOCOL_ERROR);
    await peer.stop();
  });
});

describe('h2 connection: a server that breaks gRPC on one stream', () => {
  async function streamFailure(
    script: (peer: RawPeer) => void,
    code: Status,
    message: RegExp,
  ): Promise<void> {
    const { peer, call } = await callInFlight();
    script(peer);
    const err = await rejection(call);
    assert.equal(Status[err.code], Status[code], err.message);
    assert.match(err.details, message);
    // The connection still serves.
    const next = unaryCall(peer.conn, METHOD, Buffer.from('x'));
    await peer.frameOf(FrameType.HEADERS, 3);
    respond(peer, 3);
    assert.equal((await next).message.toString(), 'pong');
    await peer.stop();
  }

  it('RST_STREAM REFUSED_STREAM -> UNAVAILABLE', () =>
    streamFailure(
      (peer) => peer.send(FrameType.RST_STREAM, 0, 1, u32(H2Code.REFUSED_STREAM)),
      Status.UNAVAILABLE,
      /stream terminated by RST_STREAM with error code: REFUSED_STREAM/,
    ));

  it('RST_STREAM CANCEL -> CANCELLED', () =>
    streamFailure(
      (peer) => peer.send(FrameType.RST_STREAM, 0, 1, u32(H2Code.CANCEL)),
      Status.CANCELLED,
      /with error code: CANCEL/,
    ));

  it('a compressed message (never offered) -> INTERNAL, and the stream is reset', () =>
    streamFailure(
      (peer) => {
        peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, RESPONSE_HEADERS);
        peer.send(FrameType.DATA, 0, 1, grpcMessage(Buffer.from('z'), 1));
      },
      Status.INTERNAL,
      /compressed message, but no compression was negotiated/,
    ));

  it('trailers without END_STREAM -> INTERNAL', () =>
    streamFailure(
      (peer) => {
        peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, RESPONSE_HEADERS);
        peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, OK_TRAILERS);
      },
      Status.INTERNAL,
      /trailers without END_STREAM/,
    ));

  it('DATA before the response headers -> INTERNAL', () =>
    streamFailure(
      (peer) => peer.send(FrameType.DATA, 0, 1, grpcMessage(Buffer.from('x'))),
      Status.INTERNAL,
      /DATA before response headers/,
    ));

  it('a stream ended by DATA without trailers -> INTERNAL', () =>
    streamFailure(
      (peer) => {
        peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, RESPONSE_HEADERS);
        peer.send(FrameType.DATA, Flag.END_STREAM, 1, grpcMessage(Buffer.from('x')));
      },
      Status.INTERNAL,
      /without sending trailers/,
    ));

  it('two response messages to a unary call -> INTERNAL', () =>
    streamFailure(
      (peer) => {
        peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, RESPONSE_HEADERS);
        peer.send(
          FrameType.DATA,
          0,
          1,
          Buffer.concat([grpcMessage(Buffer.from('a')), grpcMessage(Buffer.from('b'))]),
        );
      },
      Status.INTERNAL,
      /sent 2 response messages to a call expecting one/,
    ));

  it('HTTP 503 without grpc-status -> UNAVAILABLE', () =>
    streamFailure(
      (peer) => peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, encodeHeaderBlock([[':status', '503']])),
      Status.UNAVAILABLE,
      /unexpected HTTP status code received from server: 503/,
    ));

  it('a malformed grpc-status -> UNKNOWN', () =>
    streamFailure(
      (peer) =>
        peer.send(
          FrameType.HEADERS,
          Flag.END_HEADERS | Flag.END_STREAM,
          1,
          encodeHeaderBlock([
            [':status', '200'],
            ['grpc-status', 'x1'],
          ]),
        ),
      Status.UNKNOWN,
      /malformed grpc-status: "x1"/,
    ));
});

describe('h2 connection: framing a correct server may choose', () => {
  it('a response delivered one byte per write is reassembled', async () => {
    const { peer, call } = await callInFlight();
    const frames: Buffer[] = [];
    const capture = (type: number, flags: number, id: number, payload: Buffer): void => {
      const b = Buffer.alloc(9 + payload.length);
      b.writeUIntBE(payload.length, 0, 3);
      b[3] = type;
      b[4] = flags;
      b.writeUInt32BE(id, 5);
      payload.copy(b, 9);
      frames.push(b);
    };
    capture(FrameType.HEADERS, Flag.END_HEADERS, 1, RESPONSE_HEADERS);
    capture(FrameType.DATA, 0, 1, grpcMessage(Buffer.from('byte by byte')));
    capture(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, OK_TRAILERS);
    const all = Buffer.concat(frames);
    for (let i = 0; i < all.length; i++) {
      peer.write(all.subarray(i, i + 1));
      // Each byte its own TCP segment as far as the client's reads go.
      await new Promise<void>((r) => peer.socket.write(Buffer.alloc(0), () => r()));
    }
    assert.equal((await call).message.toString(), 'byte by byte');
    await peer.stop();
  });

  it('PINGs are answered with an ACK of the same payload', async () => {
    const peer = await RawPeer.start();
    const payload = Buffer.from('8 bytes!');
    peer.send(FrameType.PING, 0, 0, payload);
    const ack = await peer.frame((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0);
    assert.deepEqual(ack.payload, payload);
    await peer.stop();
  });

  it('GOAWAY with NO_ERROR lets streams at or below last-stream-id finish; new calls fail UNAVAILABLE', async () => {
    const { peer, call } = await callInFlight();
    const second = unaryCall(peer.conn, METHOD, Buffer.from('two'));
    second.catch(() => {});
    await peer.frameOf(FrameType.HEADERS, 3);
    const goaway = Buffer.alloc(8 + 4);
    goaway.writeUInt32BE(1, 0);
    goaway.write('bye!', 8);
    peer.send(FrameType.GOAWAY, 0, 0, goaway);
    const err = await rejection(second);
    assert.equal(err.code, Status.UNAVAILABLE);
    assert.equal((err.cause as H2Error).code, 'GOAWAY');
    assert.match(err.details, /server sent GOAWAY with NO_ERROR \(bye!\)/);
    const third = await rejection(unaryCall(peer.conn, METHOD, Buffer.from('three')));
    assert.equal(third.code, Status.UNAVAILABLE);
    respond(peer, 1);
    assert.equal((await call).message.toString(), 'pong');
    await peer.closed();
    await peer.stop();
  });

  it('the transport closing mid-call fails the call UNAVAILABLE (CONNECTION_LOST)', async () => {
    const { peer, call } = await callInFlight();
    peer.socket.destroy();
    const err = await rejection(call);
    assert.equal(err.code, Status.UNAVAILABLE);
    assert.equal((err.cause as H2Error).code, 'CONNECTION_LOST');
    await peer.stop();
  });

  it('the peer ending the connection mid-call fails the call UNAVAILABLE and closes our side at once', async () => {
    const { peer, call } = await callInFlight();
    const client = peer.conn.socket as Socket;
    // Listeners run in order: the connection's own 'end' handler has run when this one does.
    const destroyedAtEnd = new Promise<boolean>((resolve) =>
      client.once('end', () => resolve(client.destroyed)),
    );
    peer.socket.end();
    try {
      const err = await rejection(call);
      assert.equal(err.code, Status.UNAVAILABLE);
      assert.equal((err.cause as H2Error).code, 'CONNECTION_LOST');
      assert.match((err.cause as H2Error).message, /closed by the peer/);
      // No graceful end (TLS close_notify, shutdown) into a connection whose peer is gone.
      assert.equal(await destroyedAtEnd, true, 'the socket was left to a graceful end');
      await peer.closed();
    } finally {
      await peer.stop();
    }
  });
});
