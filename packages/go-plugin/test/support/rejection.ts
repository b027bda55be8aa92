/** The RpcError a call fails with; the test fails if it succeeds or fails with anything else. */
import assert from 'node:assert/strict';

import { RpcError } from '../../src/protocol/rpc-error.js';

export async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcError, `not an RpcError: ${String(err)}`);
    return err;
  }
  assert.fail('the call succeeded');
}
