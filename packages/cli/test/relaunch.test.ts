/** relaunchArgv: when `qplugin run` restarts Node with the young-generation flags, and with which argv. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DEFAULT_NODE_FLAGS } from '../src/packaging/node-flags.js';
import { relaunchArgv } from '../src/relaunch.js';
import type { ProcessFacts } from '../src/relaunch.js';

const facts = (over: Partial<ProcessFacts> = {}): ProcessFacts => ({
  argv: ['/usr/bin/node', '/opt/qplugin/bin/qplugin.mjs', 'run', '--plugins', 'file:///s.json'],
  execArgv: [],
  execPath: '/usr/bin/node',
  nodeOptions: undefined,
  platform: 'linux',
  canReplace: true,
  ...over,
});

describe('relaunchArgv', () => {
  it('run: the same node, the flags first, the user’s Node options kept, then the script and its arguments', () => {
    assert.deepEqual(relaunchArgv(facts({ execArgv: ['--inspect=0', '--enable-source-maps'] })), [
      '/usr/bin/node',
      ...DEFAULT_NODE_FLAGS,
      '--inspect=0',
      '--enable-source-maps',
      '/opt/qplugin/bin/qplugin.mjs',
      'run',
      '--plugins',
      'file:///s.json',
    ]);
  });

  it('the relaunched process, which has the flags, runs as it is (no loop)', () => {
    const again = relaunchArgv(facts())!;
    assert.equal(relaunchArgv(facts({ execArgv: again.slice(1, 1 + DEFAULT_NODE_FLAGS.length) })), undefined);
  });

  it('a young-generation size the user chose wins, on the command line or in NODE_OPTIONS', () => {
    for (const execArgv of [
      ['--max-semi-space-size=16'],
      ['--min-semi-space-size=2'],
      ['--max_semi_space_size=8'],
      ['--semi-space-growth-factor=1'],
    ]) {
      assert.equal(relaunchArgv(facts({ execArgv })), undefined, execArgv[0]);
    }
    assert.equal(
      relaunchArgv(facts({ nodeOptions: '--enable-source-maps --max-semi-space-size=0' })),
      undefined,
    );
    assert.ok(relaunchArgv(facts({ nodeOptions: '--enable-source-maps --max-old-space-size=512' })));
  });

  it('other commands, --help, and Node without process.execve or on Windows run as they are', () => {
    for (const command of ['call', 'demo', 'check', 'pack', 'verify', '--version', '--help']) {
      assert.equal(relaunchArgv(facts({ argv: ['/usr/bin/node', '/q.mjs', command] })), undefined, command);
    }
    assert.equal(relaunchArgv(facts({ argv: ['/usr/bin/node', '/q.mjs'] })), undefined, 'no command');
    assert.equal(relaunchArgv(facts({ argv: ['/usr/bin/node', '/q.mjs', 'run', '--help'] })), undefined);
    assert.equal(relaunchArgv(facts({ argv: ['/usr/bin/node', '/q.mjs', 'run', '-h'] })), undefined);
    assert.equal(relaunchArgv(facts({ canReplace: false })), undefined, 'Node 20');
    assert.equal(relaunchArgv(facts({ platform: 'win32' })), undefined);
  });
});
