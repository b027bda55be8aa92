/** Framing, grpc-timeout, grpc-message and metadata encodings, checked against the spec's rules. */
import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http2';
import { describe, it } from 'node:test';

import { encodeFrame, FrameReader } from '../../src/protocol/grpc/framing.js';
import { Metadata } from '../../src/protocol/grpc/metadata.js';
import {
  decodeGrpcMessage,
  encodeGrpcMessage,
  Status,
  statusFromHttp,
  statusFromRstCode,
} from '../../src/protocol/grpc/status.js';
import { encodeTimeout, parseTimeout } from '../../src/protocol/grpc/timeout.js';

function readAll(
  max: number,
  chunks: Buffer[],
): { messages: string[]; error?: { code: Status; message: string } } {
  const messages: string[] = [];
  const reader = new FrameReader(max, (m) => messages.push(m.toString()));
  for (const c of chunks) {
    const error = reader.push(c);
    if (error) return { messages, error };
  }
  return { messages };
}

describe('framing', () => {
  it('prefixes a message with a zero flag and its big-endian length', () => {
    assert.deepEqual([...encodeFrame(Buffer.from('hi'))], [0, 0, 0, 0, 2, 0x68, 0x69]);
    assert.deepEqual([...encodeFrame(new Uint8Array(0))], [0, 0, 0, 0, 0]);
  });

  it('reassembles messages split at every possible point and several per chunk', () => {
    const wire = Buffer.concat([
      encodeFrame(Buffer.from('alpha')),
      encodeFrame(Buffer.alloc(0)),
      encodeFrame(Buffer.from('omega')),
    ]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const { messages } = readAll(100, [wire.subarray(0, cut), wire.subarray(cut)]);
      assert.deepEqual(messages, ['alpha', '', 'omega'], `cut at ${cut}`);
    }
    const bytes = [...wire].map((b) => Buffer.from([b]));
    assert.deepEqual(readAll(100, bytes).messages, ['alpha', '', 'omega']);
  });

  it('refuses a compressed message with INTERNAL (no compression is ever negotiated)', () => {
    const frame = encodeFrame(Buffer.from('x'));
    frame[0] = 1;
    assert.deepEqual(readAll(100, [frame]).error, {
      code: Status.INTERNAL,
      message: 'grpc: received a compressed message, but no compression was negotiated',
    });
    frame[0] = 0x80;
    assert.equal(readAll(100, [frame]).error?.message, 'grpc: invalid message flags 0x80');
  });

  it('refuses a message over the limit with RESOURCE_EXHAUSTED before reading it', () => {
    const header = Buffer.from([0, 0, 0x10, 0, 1]); // announces 1 MiB + 1
    assert.deepEqual(readAll(1024 * 1024, [header]).error, {
      code: Status.RESOURCE_EXHAUSTED,
      message: 'grpc: received message larger than max (1048577 vs. 1048576)',
    });
  });

  it('tells a message cut off by the end of the stream', () => {
    const reader = new FrameReader(100, () => {});
    reader.push(encodeFrame(Buffer.from('whole')).subarray(0, 7));
    assert.equal(reader.partial, true);
  });
});

describe('grpc-timeout', () => {
  it('encodes in the finest unit with at most 8 digits, rounding up', () => {
    assert.equal(encodeTimeout(1), '1000u');
    assert.equal(encodeTimeout(0.0004), '1u');
    assert.equal(encodeTimeout(99_999), '99999000u');
    assert.equal(encodeTimeout(100_000), '100000m');
    assert.equal(encodeTimeout(99_999_999), '99999999m');
    assert.equal(encodeTimeout(100_000_000), '100000S');
    assert.equal(encodeTimeout(-5), '0u');
    assert.equal(encodeTimeout(1e20), '99999999H');
  });

  it('parses every unit and rejects what the spec does not allow', () => {
    assert.equal(parseTimeout('2H'), 7_200_000);
    assert.equal(parseTimeout('3M'), 180_000);
    assert.equal(parseTimeout('4S'), 4000);
    assert.equal(parseTimeout('5m'), 5);
    assert.equal(parseTimeout('6000u'), 6);
    assert.equal(parseTimeout('7000000n'), 7);
    assert.equal(parseTimeout('99999999m'), 99_999_999);
    assert.equal(parseTimeout('00000001S'), 1000);
    for (const bad of [
      '',
      '1',
      'm',
      '123456789m',
      '-1m',
      '1.5S',
      '1s',
      ' 1m',
      '1m ',
      '+1m',
      '1e3m',
      '\uff11m',
      '12345678',
    ])
      assert.equal(parseTimeout(bad), undefined, bad);
  });
});

describe('grpc-message', () => {
  it('percent-encodes non-printable and non-ASCII text and %, and decodes it back', () => {
    assert.equal(encodeGrpcMessage('plain text: ok'), 'plain text: ok');
    assert.equal(encodeGrpcMessage('100%\nnext'), '100%25%0Anext');
    assert.equal(encodeGrpcMessage('héllo'), 'h%C3%A9llo');
    for (const text of ['100%\nnext', 'héllo ✓', '日本語', '%%', ''])
      assert.equal(decodeGrpcMessage(encodeGrpcMessage(text)), text);
  });

  it('keeps malformed escapes as they are', () => {
    assert.equal(decodeGrpcMessage('50%'), '50%');
    assert.equal(decodeGrpcMessage('%zz and %4'), '%zz and %4');
  });
});

describe('status mappings', () => {
  it('maps HTTP statuses as the gRPC spec says', () => {
    assert.equal(statusFromHttp(400), Status.INTERNAL);
    assert.equal(statusFromHttp(401), Status.UNAUTHENTICATED);
    assert.equal(statusFromHttp(403), Status.PERMISSION_DENIED);
    assert.equal(statusFromHttp(404), Status.UNIMPLEMENTED);
    for (const s of [429, 502, 503, 504]) assert.equal(statusFromHttp(s), Status.UNAVAILABLE);
    assert.equal(statusFromHttp(500), Status.UNKNOWN);
  });

  it('maps RST_STREAM codes', () => {
    assert.equal(statusFromRstCode(7), Status.UNAVAILABLE);
    assert.equal(statusFromRstCode(8), Status.CANCELLED);
    assert.equal(statusFromRstCode(11), Status.RESOURCE_EXHAUSTED);
    assert.equal(statusFromRstCode(12), Status.PERMISSION_DENIED);
    assert.equal(statusFromRstCode(1), Status.INTERNAL);
  });
});

describe('metadata', () => {
  it('lower-cases keys, keeps several values, and base64s binary ones on the wire', () => {
    const md = new Metadata();
    md.set('X-Trace', 'a');
    md.add('x-trace', 'b');
    md.set('blob-bin', Buffer.from([0, 255]));
    const headers: OutgoingHttpHeaders = {};
    md.addTo(headers);
    assert.deepEqual(headers, { 'x-trace': ['a', 'b'], 'blob-bin': 'AP8=' });
  });

  it('reads headers without pseudo-headers and gRPC reserved ones, and decodes -bin values', () => {
    const md = Metadata.fromHeaders({
      ':status': '200',
      'content-type': 'application/grpc',
      'grpc-status': '0',
      'x-one': 'v',
      'blob-bin': 'AP8,AQ', // two values, one unpadded
    });
    assert.deepEqual(md.keys().sort(), ['blob-bin', 'x-one']);
    assert.deepEqual(md.get('blob-bin'), [Buffer.from([0, 255]), Buffer.from([1])]);
    assert.deepEqual(md.getMap(), { 'x-one': 'v', 'blob-bin': Buffer.from([0, 255]) });
  });

  it('refuses keys and values the wire cannot carry', () => {
    const md = new Metadata();
    assert.throws(() => md.set('bad key', 'v'), /characters outside/);
    assert.throws(() => md.set('x', 'line\nbreak'), /printable ASCII/);
    assert.throws(() => md.set('x-bin', 'text'), /must be Buffers/);
  });
});
