/** Where `qplugin demo` finds its bundled hello world plugin. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import { isQuorumError } from '@qplugin/quorum';
import { demoPlugin } from '../src/demo-plugin.js';
import { scratch } from './support/cli.js';

describe('demoPlugin', () => {
  it('finds the bundle built into this package', async () => {
    const path = await demoPlugin();
    assert.match(path, /dist\/demo\/hello-world\.mjs$/);
    assert.ok(existsSync(path));
  });

  it('a package without the bundle is CLI_DEMO_PLUGIN, naming the path and the fix', async () => {
    const root = pathToFileURL(scratch('qp-demo-plugin-') + '/');
    await assert.rejects(demoPlugin(root), (err: unknown) => {
      assert.ok(isQuorumError(err, 'CLI_DEMO_PLUGIN'), String(err));
      assert.match(err.message, /dist\/demo\/hello-world\.mjs is missing/);
      assert.match(err.fix ?? '', /npm run build/);
      return true;
    });
  });
});
