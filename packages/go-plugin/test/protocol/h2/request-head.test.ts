/** A method's request header block, and grpc-timeout appended to it per call. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { HpackDecoder } from '../../../src/protocol/h2/hpack-decoder.js';
import { encodeHeaderBlock, headerListSize } from '../../../src/protocol/h2/hpack-encoder.js';
import { TIMEOUT_LIST_SIZE, UnaryMethod } from '../../../src/protocol/h2/request-head.js';

describe('UnaryMethod', () => {
  it('withTimeout gives the bytes encodeHeaderBlock gives for the method block and grpc-timeout', () => {
    const method = new UnaryMethod('/pkg.Service/Method', { authority: 'plugin', secure: false });
    for (const timeout of ['1u', '29999998u', '99999999m', '5S', '1H']) {
      const expected = Buffer.concat([method.block, encodeHeaderBlock([['grpc-timeout', timeout]])]);
      assert.deepEqual(method.withTimeout(timeout), expected, timeout);
      const fields = new HpackDecoder().decode(method.withTimeout(timeout));
      assert.deepEqual(fields.slice(-2), ['grpc-timeout', timeout]);
      assert.equal(fields[fields.indexOf(':path') + 1], '/pkg.Service/Method');
      assert.equal(TIMEOUT_LIST_SIZE + timeout.length, headerListSize([['grpc-timeout', timeout]]));
    }
  });
});
