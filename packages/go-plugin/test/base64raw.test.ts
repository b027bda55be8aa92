import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { decodeRawStd, encodeRawStd } from '../src/protocol/base64raw.js';

describe("Go's RawStdEncoding", () => {
  it('round-trips every length without padding', () => {
    for (let n = 0; n < 70; n++) {
      const data = randomBytes(n);
      const text = encodeRawStd(data);
      assert.ok(!text.includes('='));
      assert.deepEqual(decodeRawStd(text), data);
    }
  });
  it('fails where Go fails, with the same byte offset', () => {
    assert.throws(() => decodeRawStd('AAA='), /^Error: illegal base64 data at input byte 3$/);
    assert.throws(() => decodeRawStd('AAAAA'), /illegal base64 data at input byte 4$/);
    assert.throws(() => decodeRawStd('AA-A'), /illegal base64 data at input byte 2$/);
    assert.throws(() => decodeRawStd('AAAA AAAA'), /illegal base64 data at input byte 4$/);
  });
  it('skips CR and LF like Go', () => {
    assert.deepEqual(decodeRawStd('AAEC\r\nAw'), Buffer.from([0, 1, 2, 3]));
  });
});
