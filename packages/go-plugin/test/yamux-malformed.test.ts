/**
 * Protocol violations a correct peer never commits: each must end the session
 * with YAMUX_PROTOCOL and, when we detected it, tell the peer with
 * GoAway(protocol error). Frames are built by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isGoPluginError } from '../src/protocol/errors.js';
import { YamuxSession, duplexPair } from '../src/protocol/yamux/index.js';

const KiB = 1024;
const WINDOW = 256 * KiB;
const T = { DATA: 0, WINDOW_UPDATE: 1, PING: 2, GO_AWAY: 3 } as const;
const F = { SYN: 1, ACK: 2, FIN: 4, RST: 8 } as const;

function header(type: number, flags: number, streamId: number, length: number, version = 0): Buffer {
  const bytes = Buffer.alloc(12);
  bytes[0] = version;
  bytes[1] = type;
  bytes.writeUInt16BE(flags, 2);
  bytes.writeUInt32BE(streamId, 4);
  bytes.writeUInt32BE(length, 8);
  return bytes;
}

function data(streamId: number, payload: Buffer, flags = 0): Buffer {
  return Buffer.concat([header(T.DATA, flags, streamId, payload.length), payload]);
}

const SYN_1 = header(T.WINDOW_UPDATE, F.SYN, 1, 0);

interface Case {
  name: string;
  bytes: Buffer[];
  message: RegExp;
  /** We detected it, so the peer is told with GoAway(protocol error). */
  goAwayBack?: boolean;
  /** Then end the connection. */
  end?: boolean;
}

const cases: Case[] = [
  {
    name: 'an unsupported version',
    bytes: [header(T.WINDOW_UPDATE, F.SYN, 1, 0, 1)],
    message: /protocol version 1/,
  },
  { name: 'an unknown frame type', bytes: [header(4, 0, 0, 0)], message: /unknown type 4/ },
  {
    name: 'data beyond the receive window',
    bytes: [SYN_1, data(1, Buffer.alloc(200 * KiB)), data(1, Buffer.alloc(100 * KiB))],
    message: /102400 bytes for stream 1 exceeds the receive window of 57344 bytes/,
  },
  {
    name: 'a Data frame larger than any window (rejected before its payload)',
    bytes: [SYN_1, header(T.DATA, 0, 1, WINDOW + 1)],
    message: /larger than any stream window/,
  },
  {
    name: 'a window update overflowing the send window',
    bytes: [SYN_1, header(T.WINDOW_UPDATE, 0, 1, 0xffffffff)],
    message: /past 2\^32-1/,
  },
  {
    name: 'data for a stream that was never opened',
    bytes: [data(7, Buffer.from('abc'))],
    message: /stream 7, which was never opened/,
  },
  { name: 'a duplicate SYN', bytes: [SYN_1, SYN_1], message: /opened stream 1 again while it is open/ },
  {
    name: "a SYN with this side's parity",
    bytes: [header(T.WINDOW_UPDATE, F.SYN, 2, 0)],
    message: /even ids belong/,
  },
  {
    name: 'a second FIN',
    bytes: [SYN_1, header(T.WINDOW_UPDATE, F.FIN, 1, 0), header(T.WINDOW_UPDATE, F.FIN, 1, 0)],
    message: /second FIN for stream 1/,
  },
  {
    name: 'stream id 0 on a Data frame',
    bytes: [data(0, Buffer.from('x'))],
    message: /reserved for the session/,
  },
  {
    name: 'GoAway with a protocol error from the peer',
    bytes: [header(T.GO_AWAY, 0, 0, 1)],
    message: /GoAway with code 1/,
    goAwayBack: false,
  },
  {
    name: 'a connection ending inside a frame',
    bytes: [header(T.PING, F.SYN, 0, 1).subarray(0, 5)],
    message: /middle of a frame/,
    goAwayBack: false,
    end: true,
  },
];

describe('yamux protocol violations', () => {
  for (const { name, bytes, message, goAwayBack = true, end = false } of cases) {
    it(`ends the session with YAMUX_PROTOCOL on ${name}`, async (t) => {
      const [a, b] = duplexPair();
      const session = new YamuxSession(a, { client: false, enableKeepAlive: false });
      t.after(() => {
        session.destroy();
        b.destroy();
      });
      const received: Buffer[] = [];
      b.on('data', (chunk: Buffer) => received.push(chunk));
      b.on('end', () => b.end()); // answer the session's EOF like a real peer
      for (const chunk of bytes) b.write(chunk);
      if (end) b.end();

      const error = await session.closed;
      assert.ok(isGoPluginError(error, 'YAMUX_PROTOCOL'), `expected YAMUX_PROTOCOL, got ${String(error)}`);
      assert.match(error.message, message);
      // None of these streams was accepted, so the GoAway is all the session sent.
      const expected = goAwayBack ? header(T.GO_AWAY, 0, 0, 1) : Buffer.alloc(0);
      assert.deepEqual(Buffer.concat(received), expected);
      assert.throws(
        () => session.open(),
        (e: unknown) => isGoPluginError(e, 'YAMUX_CLOSED') && e.message.includes(error.message),
      );
    });
  }
});
