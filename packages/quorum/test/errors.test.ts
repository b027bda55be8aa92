/** isQuorumError recognises a QuorumError made by a second copy of the package (where instanceof fails). */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type * as Errors from '../src/errors.js';
import { isCodedError, isGoPluginError } from '@qplugin/go-plugin/protocol';
import { QuorumError, isQuorumError } from '../src/errors.js';

type ErrorsModule = typeof Errors;

describe('isQuorumError', () => {
  it('accepts a QuorumError from another copy, with or without a code; rejects look-alikes', async () => {
    const here = fileURLToPath(new URL('../src/', import.meta.url));
    const dir = mkdtempSync(join(here, 'copy-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(join(here, 'errors.js'), join(dir, 'errors.js'));
    const copy = (await import(pathToFileURL(join(dir, 'errors.js')).href)) as ErrorsModule;

    const foreign = new copy.QuorumError('DIST_NOT_FOUND', 'plugin not found');
    assert.equal(foreign instanceof QuorumError, false, 'really a different class');
    assert.ok(isQuorumError(foreign));
    assert.ok(isQuorumError(foreign, 'DIST_NOT_FOUND'));
    assert.equal(isQuorumError(foreign, 'PLUGIN_START'), false);
    assert.ok(isCodedError(foreign), 'a coded error for the go-plugin layer too');
    assert.equal(isGoPluginError(foreign), false);
    assert.ok(copy.isQuorumError(new QuorumError('PLUGIN_INIT', 'x')));
    assert.equal(isQuorumError(Object.assign(new Error('x'), { code: 'DIST_NOT_FOUND' })), false);
  });
});
