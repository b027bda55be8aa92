/**
 * Error brands: isGoPluginError / isRpcError / isCodedError recognise errors
 * made by a second copy of the package (loaded from another file, as when two
 * versions are installed), where instanceof does not; messageOf on anything thrown.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type * as Errors from '../../src/protocol/errors.js';
import {
  GoPluginError,
  RpcError,
  Status,
  isCodedError,
  isGoPluginError,
  isRpcError,
  messageOf,
} from '../../src/protocol/index.js';

type ErrorsModule = typeof Errors;

/** A second, independent copy of errors.js (its own classes), next to the compiled one. */
async function secondCopy(): Promise<ErrorsModule> {
  const here = fileURLToPath(new URL('../../src/protocol/', import.meta.url));
  const dir = mkdtempSync(join(here, 'copy-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(here, 'errors.js'), join(dir, 'errors.js'));
  return (await import(pathToFileURL(join(dir, 'errors.js')).href)) as ErrorsModule;
}

describe('error brands', () => {
  it('isGoPluginError and isCodedError accept a GoPluginError from another copy; instanceof does not', async () => {
    const copy = await secondCopy();
    const foreign = new copy.GoPluginError('SPAWN_FAILED', 'spawn ./x ENOENT');
    assert.equal(foreign instanceof GoPluginError, false, 'really a different class');
    assert.ok(isGoPluginError(foreign));
    assert.ok(isGoPluginError(foreign, 'SPAWN_FAILED'));
    assert.equal(isGoPluginError(foreign, 'START_TIMEOUT'), false);
    assert.ok(isCodedError(foreign));
    // and the other way round
    assert.ok(copy.isGoPluginError(new GoPluginError('CLIENT_STATE', 'x')));
  });

  it('a plain CodedError is coded but not a GoPluginError; look-alikes are neither', async () => {
    const copy = await secondCopy();
    const coded = new copy.CodedError('SOMETHING', 'x');
    assert.ok(isCodedError(coded));
    assert.equal(isGoPluginError(coded), false);
    const lookAlike = Object.assign(new Error('x'), { name: 'GoPluginError', code: 'SPAWN_FAILED' });
    assert.equal(isGoPluginError(lookAlike), false);
    assert.equal(isCodedError(lookAlike), false);
    for (const v of [undefined, null, 'GoPluginError', 42]) assert.equal(isGoPluginError(v), false);
  });

  it('isRpcError checks the brand and, if given, the status code', () => {
    const err = new RpcError(Status.NOT_FOUND, 'no such key');
    assert.ok(isRpcError(err));
    assert.ok(isRpcError(err, Status.NOT_FOUND));
    assert.equal(isRpcError(err, Status.INTERNAL), false);
    assert.equal(isRpcError(Object.assign(new Error('x'), { code: Status.NOT_FOUND })), false);
  });
});

describe('messageOf', () => {
  it('gives the message of an Error, of a { message } object, and String() of anything else', () => {
    assert.equal(messageOf(new Error('boom')), 'boom');
    assert.equal(messageOf(new RpcError(Status.INTERNAL, 'x')), 'rpc error: code = Internal desc = x');
    assert.equal(messageOf({ message: 'from an object' }), 'from an object');
    assert.equal(messageOf({ message: 42 }), '[object Object]');
    assert.equal(messageOf('text'), 'text');
    assert.equal(messageOf(undefined), 'undefined');
    assert.equal(messageOf(null), 'null');
  });
});
