/** modulesLoadedBy: the modules a fresh process compiled, from real child processes. */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { modulesLoadedBy } from '@qplugin/go-plugin/testing';

const PACKAGE_DIR = fileURLToPath(new URL('../../../', import.meta.url));

describe('modulesLoadedBy', () => {
  it("lists what the code imported, ours and Node's, and not what it did not", async () => {
    const urls = await modulesLoadedBy(
      `await import('node:zlib'); await import('@qplugin/go-plugin/core/internal');`,
      {
        cwd: PACKAGE_DIR,
      },
    );
    assert.ok(urls.includes('node:zlib'), 'a built-in the code imported');
    assert.ok(
      urls.some((u) => u.startsWith('file:') && u.endsWith('/go-plugin/dist/src/protocol/errors.js')),
      'a module of ours, resolved from cwd',
    );
    assert.equal(urls.includes('node:http2'), false, 'a built-in nobody imported');
    assert.equal(
      urls.some((u) => u.includes('/protocol/yamux/')),
      false,
    );
  });

  it('passes Node options before the script', async () => {
    const code = `if (!process.execArgv.includes('--max-semi-space-size=4')) throw new Error('flag missing');`;
    assert.ok(Array.isArray(await modulesLoadedBy(code, { execArgv: ['--max-semi-space-size=4'] })));
    await assert.rejects(modulesLoadedBy(code), /the probe process failed: .*flag missing/s);
  });

  it("rejects with the child's error when the code throws or a module is missing, and when it prints", async () => {
    await assert.rejects(modulesLoadedBy(`throw new Error('boom in the probe');`), /boom in the probe/);
    await assert.rejects(
      modulesLoadedBy(`await import('no-such-package-qplugin');`),
      /no-such-package-qplugin/,
    );
    await assert.rejects(
      modulesLoadedBy(`process.stdout.write('hello ');`),
      /printed something other than its listing: hello \[/,
    );
  });
});
