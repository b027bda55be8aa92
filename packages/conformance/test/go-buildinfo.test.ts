/** Which go-plugin a Go executable was built with, read from its build info. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  GO_PLUGIN_MODULE,
  GRPC_MODULE,
  olderThan,
  readGoBuildInfo,
  resolveCommand,
  semver,
} from '../src/go-buildinfo.js';
import { TS_HOST, goPeer, goSkip } from './support/go-peers.js';

describe('Go build info', () => {
  it('the interop peers: go-plugin and grpc versions as pinned', { skip: goSkip() }, async () => {
    const expected = [
      ['v1.0.1', 'v1.0.1', 'v1.27.1'],
      ['v1.2.2', 'v1.2.2', 'v1.56.3'],
      ['v1.8.0', 'v1.8.0', 'v1.61.0'],
      ['kv', 'v1.8.0', 'v1.61.0'],
    ] as const;
    for (const [peer, goPlugin, grpc] of expected) {
      for (const file of Object.values(goPeer(peer))) {
        const info = await readGoBuildInfo(file);
        assert.equal(info?.modules.get(GO_PLUGIN_MODULE), goPlugin, file);
        assert.equal(info?.modules.get(GRPC_MODULE), grpc, file);
      }
    }
  });

  it('anything else has none: a script, a missing file, a non-Go ELF file', async () => {
    assert.equal(await readGoBuildInfo(TS_HOST), undefined);
    assert.equal(await readGoBuildInfo('/nonexistent/plugin'), undefined);
    assert.equal(await readGoBuildInfo(process.execPath), undefined);
  });

  it('commands resolve like exec does', () => {
    assert.equal(resolveCommand(process.execPath), process.execPath);
    assert.equal(
      resolveCommand('node', '/', `/nonexistent:${process.execPath.replace(/\/node$/, '')}`),
      process.execPath,
    );
    assert.equal(resolveCommand('no-such-command-qplugin', '/', '/usr/bin'), undefined);
    assert.equal(resolveCommand('./missing', '/tmp'), undefined);
  });

  it('versions compare as semver; unknown ones are never older', () => {
    assert.deepEqual(semver('v1.2.2'), [1, 2, 2]);
    assert.deepEqual(semver('v0.0.0-20180709165350-ff2cf002a8dd'), [0, 0, 0]);
    assert.equal(semver('main'), undefined);
    assert.equal(olderThan('v1.0.1', 'v1.1.0'), true);
    assert.equal(olderThan('v1.2.2', 'v1.1.0'), false);
    assert.equal(olderThan('v1.1.0', 'v1.1.0'), false);
    assert.equal(olderThan(undefined, 'v1.1.0'), false);
  });
});
