/**
 * HPACK (RFC 7541) decoding against the examples of its Appendix C, our
 * encoder through our decoder, Huffman round trips, and each malformed input
 * as a typed H2Error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { H2Code, H2Error } from '../../../src/protocol/h2/errors.js';
import type { H2ErrorCode } from '../../../src/protocol/h2/errors.js';
import { HpackDecoder } from '../../../src/protocol/h2/hpack-decoder.js';
import { encodeHeaderBlock, encodeInteger, headerListSize } from '../../../src/protocol/h2/hpack-encoder.js';
import { HUFFMAN_CODE_BITS } from '../../../src/protocol/h2/huffman-table.js';
import { huffmanDecode, huffmanEncode, huffmanLength } from '../../../src/protocol/h2/huffman.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const pairs = (flat: string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
};

function throwsH2(fn: () => unknown, code: H2ErrorCode, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof H2Error, `not an H2Error: ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

interface Step {
  block: string;
  fields: [string, string][];
  tableSize: number;
  tableLength: number;
}

/** Decodes consecutive blocks on one decoder (one connection), checking the table after each. */
function series(maxTable: number, steps: Step[]): void {
  const d = new HpackDecoder(maxTable);
  for (const [i, s] of steps.entries()) {
    assert.deepEqual(pairs(d.decode(hex(s.block))), s.fields, `block ${i + 1}`);
    assert.equal(d.tableSize, s.tableSize, `table size after block ${i + 1}`);
    assert.equal(d.tableLength, s.tableLength, `table entries after block ${i + 1}`);
  }
}

const REQ1: [string, string][] = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'www.example.com'],
];
const REQ2: [string, string][] = [...REQ1, ['cache-control', 'no-cache']];
const REQ3: [string, string][] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'www.example.com'],
  ['custom-key', 'custom-value'],
];
const RESP1: [string, string][] = [
  [':status', '302'],
  ['cache-control', 'private'],
  ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
  ['location', 'https://www.example.com'],
];
const RESP2: [string, string][] = [[':status', '307'], ...RESP1.slice(1)];
const RESP3: [string, string][] = [
  [':status', '200'],
  ['cache-control', 'private'],
  ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
  ['location', 'https://www.example.com'],
  ['content-encoding', 'gzip'],
  ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
];

describe('HPACK: RFC 7541 Appendix C', () => {
  it('C.1 integers', () => {
    const enc = (v: number, bits: number): number[] => {
      const out: number[] = [];
      encodeInteger(out, v, bits, 0);
      return out;
    };
    assert.deepEqual(enc(10, 5), [0x0a]);
    assert.deepEqual(enc(1337, 5), [0x1f, 0x9a, 0x0a]);
    assert.deepEqual(enc(42, 8), [0x2a]);
  });

  it('C.2 single representations (with, without, never indexed; indexed)', () => {
    const d = new HpackDecoder();
    assert.deepEqual(
      pairs(d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'))),
      [['custom-key', 'custom-header']],
    );
    assert.equal(d.tableSize, 55);
    const d2 = new HpackDecoder();
    assert.deepEqual(pairs(d2.decode(hex('040c 2f73 616d 706c 652f 7061 7468'))), [
      [':path', '/sample/path'],
    ]);
    assert.equal(d2.tableLength, 0);
    assert.deepEqual(pairs(d2.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))), [
      ['password', 'secret'],
    ]);
    assert.equal(d2.tableLength, 0);
    assert.deepEqual(pairs(d2.decode(hex('82'))), [[':method', 'GET']]);
  });

  it('C.3 requests without Huffman coding', () =>
    series(4096, [
      {
        block: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        fields: REQ1,
        tableSize: 57,
        tableLength: 1,
      },
      { block: '8286 84be 5808 6e6f 2d63 6163 6865', fields: REQ2, tableSize: 110, tableLength: 2 },
      {
        block: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
        fields: REQ3,
        tableSize: 164,
        tableLength: 3,
      },
    ]));

  it('C.4 requests with Huffman coding', () =>
    series(4096, [
      { block: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', fields: REQ1, tableSize: 57, tableLength: 1 },
      { block: '8286 84be 5886 a8eb 1064 9cbf', fields: REQ2, tableSize: 110, tableLength: 2 },
      {
        block: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
        fields: REQ3,
        tableSize: 164,
        tableLength: 3,
      },
    ]));

  it('C.5 responses without Huffman coding, 256-byte table (evictions)', () =>
    series(256, [
      {
        block: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
                2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
                6c65 2e63 6f6d`,
        fields: RESP1,
        tableSize: 222,
        tableLength: 4,
      },
      { block: '4803 3330 37c1 c0bf', fields: RESP2, tableSize: 222, tableLength: 4 },
      {
        block: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
                54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
                5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
                3d31`,
        fields: RESP3,
        tableSize: 215,
        tableLength: 3,
      },
    ]));

  it('C.6 responses with Huffman coding, 256-byte table (evictions)', () =>
    series(256, [
      {
        block: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
                2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
        fields: RESP1,
        tableSize: 222,
        tableLength: 4,
      },
      { block: '4883 640e ffc1 c0bf', fields: RESP2, tableSize: 222, tableLength: 4 },
      {
        block: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
                77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
                9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
        fields: RESP3,
        tableSize: 215,
        tableLength: 3,
      },
    ]));

  it('Huffman-encodes the Appendix C strings to the RFC bytes', () => {
    for (const [s, h] of [
      ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
      ['no-cache', 'a8eb 1064 9cbf'],
      ['custom-key', '25a8 49e9 5ba9 7d7f'],
      ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
      ['302', '6402'],
      ['private', 'aec3 771a 4b'],
      ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
      ['https://www.example.com', '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
      ['gzip', '9bd9 ab'],
    ] as const) {
      assert.deepEqual(huffmanEncode(Buffer.from(s, 'latin1')), hex(h), s);
      assert.equal(huffmanDecode(hex(h), 0, hex(h).length), s);
    }
  });
});

describe('HPACK: our encoder through our decoder', () => {
  it('round-trips static-indexed pairs, indexed names and new names, with and without Huffman', () => {
    const fields: [string, string][] = [
      [':method', 'POST'],
      [':scheme', 'https'],
      [':path', '/pkg.Service/Method'],
      [':authority', 'localhost'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ['grpc-timeout', '1999999u'],
      ['x-bin-bin', Buffer.from([0, 1, 2, 255]).toString('base64')],
      ['x-latin1', 'caf\u00e9'],
      ['x-long', 'v'.repeat(5000)],
    ];
    for (const huffman of [false, true]) {
      const block = encodeHeaderBlock(fields, { huffman });
      const d = new HpackDecoder();
      assert.deepEqual(pairs(d.decode(block)), fields);
      assert.equal(d.tableLength, 0, 'the encoder never adds to the peer table');
    }
    assert.ok(encodeHeaderBlock(fields, { huffman: true }).length < encodeHeaderBlock(fields).length);
    assert.equal(headerListSize([['ab', 'cde']]), 37);
  });

  it('decodes a block inside a larger buffer, reading only its range', () => {
    const fields: [string, string][] = [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['x-n', 'v'.repeat(300)],
    ];
    const block = encodeHeaderBlock(fields, { huffman: true });
    const junk = Buffer.from([0xff, 0xff, 0xff]);
    const framed = Buffer.concat([junk, block, junk]);
    const d = new HpackDecoder();
    assert.deepEqual(pairs(d.decode(framed, 3, 3 + block.length)), fields);
    // The range's end is the block's end even with bytes after it: a string cut there is truncated.
    const cut = encodeHeaderBlock([['x-a', 'abcdef']]);
    throwsH2(
      () => new HpackDecoder().decode(Buffer.concat([cut, junk]), 0, cut.length - 2),
      'HPACK_MALFORMED',
      /HPACK string of 6 bytes past the block end/,
    );
    // The decoder is reusable after an error in a previous block's range.
    assert.deepEqual(pairs(d.decode(block)), fields);
  });

  it('the Huffman code is complete (Kraft sum 1), so the decoder has no unknown-code case', () => {
    assert.equal(HUFFMAN_CODE_BITS.length, 257);
    assert.equal(
      HUFFMAN_CODE_BITS.reduce((sum, bits) => sum + 2 ** -bits, 0),
      1,
    );
  });

  it('Huffman round-trips every byte value and random strings', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(Buffer.from(huffmanDecode(huffmanEncode(all), 0, huffmanLength(all)), 'latin1'), all);
    for (let i = 0; i < 200; i++) {
      const b = randomBytes(i % 50);
      const enc = huffmanEncode(b);
      assert.equal(enc.length, huffmanLength(b));
      assert.deepEqual(Buffer.from(huffmanDecode(enc, 0, enc.length), 'latin1'), b);
    }
    assert.equal(huffmanDecode(Buffer.alloc(0), 0, 0), '');
  });
});

describe('HPACK: malformed blocks are typed errors', () => {
  it('a size update above the advertised table size', () =>
    throwsH2(
      () => new HpackDecoder(256).decode(Buffer.from([0x3f, 0xe2, 0x01])), // 31 + 226 = 257
      'HPACK_TABLE_SIZE',
      /update to 257 bytes, above our SETTINGS_HEADER_TABLE_SIZE of 256/,
    ));

  it('a size update down to 0 empties the table; later references fail', () => {
    const d = new HpackDecoder();
    d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
    assert.equal(d.tableLength, 1);
    d.decode(Buffer.from([0x20]));
    assert.equal(d.tableLength, 0);
    throwsH2(() => d.decode(Buffer.from([0xbe])), 'HPACK_INDEX', /HPACK index 62 beyond the table/);
  });

  it('an entry larger than the table empties it and is not added', () => {
    const d = new HpackDecoder(64);
    const out: number[] = [0x40];
    encodeInteger(out, 1, 7, 0);
    out.push(0x61);
    encodeInteger(out, 40, 7, 0);
    out.push(...Buffer.alloc(40, 0x62));
    assert.deepEqual(pairs(d.decode(Buffer.from(out))), [['a', 'b'.repeat(40)]]);
    assert.equal(d.tableLength, 0);
    assert.equal(d.tableSize, 0);
  });

  it('an integer longer than 5 bytes', () =>
    throwsH2(
      () => new HpackDecoder().decode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
      'HPACK_MALFORMED',
      /HPACK integer longer than 5 bytes/,
    ));

  it('a truncated integer', () =>
    throwsH2(
      () => new HpackDecoder().decode(Buffer.from([0xff, 0x80])),
      'HPACK_MALFORMED',
      /truncated HPACK integer/,
    ));

  it('a truncated string', () =>
    throwsH2(
      () => new HpackDecoder().decode(Buffer.from([0x00])),
      'HPACK_MALFORMED',
      /truncated HPACK string/,
    ));

  it('Huffman errors carry COMPRESSION_ERROR', () => {
    try {
      huffmanDecode(Buffer.from([0x00]), 0, 1);
      assert.fail('decoded');
    } catch (err) {
      assert.ok(err instanceof H2Error);
      assert.equal(err.h2Code, H2Code.COMPRESSION_ERROR);
      assert.match(err.message, /padding is not a prefix of EOS/);
    }
  });

  it('a decoded list above the cap', () => {
    const d = new HpackDecoder(4096, 100);
    throwsH2(
      () => d.decode(encodeHeaderBlock([['x-a', 'a'.repeat(70)]])),
      'HEADER_LIST_TOO_LARGE',
      /exceeds the limit of 100 bytes/,
    );
  });
});
