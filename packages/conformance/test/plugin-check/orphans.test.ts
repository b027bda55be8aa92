/** How a process left behind is shown in the orphans point. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { shortCommand } from '../../src/plugin-check/orphans.js';

describe('plugin check: orphans', () => {
  it('a leftover is shown by program name and arguments, without the directory', () => {
    assert.equal(
      shortCommand('/opt/tools/node-v24.22.3/bin/node -e /* marker */ setTimeout(() => {}, 60000)'),
      'node -e /* marker */ setTimeout(() => {}, 60000)',
    );
    assert.equal(shortCommand('/usr/local/bin/plugin'), 'plugin');
    assert.equal(shortCommand('sleep 100'), 'sleep 100');
  });
});
