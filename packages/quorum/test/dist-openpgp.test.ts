/**
 * openpgp is an optional peer dependency: its absence is OPENPGP_MISSING
 * with the install command; any other failure to load it stays itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { openpgpFrom } from '../src/distribution/openpgp.js';
import { isQuorumError } from '../src/errors.js';

/** What Node's loader throws for a package that is not installed. */
function notFound(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/x.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
}

describe('loading openpgp', () => {
  it('loads the installed package', async () => {
    const mod = await openpgpFrom(() => import('openpgp'));
    assert.equal(typeof mod.readKey, 'function');
  });

  it('not installed: OPENPGP_MISSING naming the package and the fix', async () => {
    const missing = notFound('openpgp');
    await assert.rejects(
      openpgpFrom(() => Promise.reject(missing)),
      (err: unknown) => {
        assert.ok(isQuorumError(err, 'OPENPGP_MISSING'), String(err));
        assert.match(err.message, /openpgp is not installed/);
        assert.match(err.fix ?? '', /npm install openpgp@\^6/);
        assert.equal(err.cause, missing);
        return true;
      },
    );
  });

  it('another missing module inside openpgp, or another error, is passed on as is', async () => {
    for (const other of [notFound('some-dependency'), new TypeError('boom')]) {
      await assert.rejects(
        openpgpFrom(() => Promise.reject(other)),
        (err: unknown) => err === other,
      );
    }
  });
});
