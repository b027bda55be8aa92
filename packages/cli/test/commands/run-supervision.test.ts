/**
 * `qplugin run`'s supervision flags: refused when out of range (usage,
 * exit 2, naming the flag), and applied: with `--plugins.restart never` a
 * killed plugin stays down, the death is logged at ERROR, JSON-RPC calls fail
 * at once saying why, admin_nodeInfo shows `failed`, and admin_reloadPlugin
 * brings it back.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { expectNoProcesses } from '@qplugin/go-plugin/testing';

import { HELLO_MAIN, qplugin, scratch, show } from '../support/cli.js';
import { rpc, startRun, status } from '../support/run.js';

describe('qplugin run supervision flags', () => {
  for (const [args, message] of [
    [
      ['--plugins.restart', 'sometimes'],
      '--plugins.restart must be one of never, on-failure, always, not sometimes',
    ],
    [['--plugins.restart.backoff', '1.5'], '--plugins.restart.backoff must be a whole number, not 1.5'],
    [['--plugins.health.misses', '0'], '--plugins.health.misses is 0: a whole number ≥ 1'],
    [
      ['--plugins.restart.backoff', '500', '--plugins.restart.maxbackoff', '100'],
      '--plugins.restart.maxbackoff is 100: a whole number of ms ≥ --plugins.restart.backoff (500)',
    ],
  ] as const) {
    it(`refuses ${args.join(' ')}`, async () => {
      const ran = await qplugin(['run', '--plugins', 'file:///nowhere.json', ...args]);
      assert.equal(ran.code, 2, show(ran));
      assert.ok(ran.stderr.startsWith(`qplugin run: ${message}\n`), show(ran));
    });
  }

  it('--plugins.restart never: a killed plugin stays failed, calls say why; admin_reloadPlugin revives it', async () => {
    const dir = scratch('qp-cli-sup-');
    const baseDir = join(dir, 'plugins');
    mkdirSync(baseDir);
    const packed = await qplugin([
      'pack',
      '--name',
      'hello',
      '--version',
      '1.0.0',
      '--entry',
      HELLO_MAIN,
      '--out',
      baseDir,
    ]);
    assert.equal(packed.code, 0, show(packed));
    const settings = join(dir, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        baseDir,
        providers: { helloworld: { name: 'hello', version: '1.0.0', config: { language: 'en' } } },
      }),
    );
    const run = await startRun(settings, dir, ['--plugins.restart', 'never']);
    const { pid } = await status(false, run.url);
    const died = run.logged((l) => l['@level'] === 'error' && l.pid === pid);
    process.kill(pid!, 'SIGKILL');
    const line = await died;
    assert.equal(line['@message'], 'plugin killed by SIGKILL; not restarting (restart policy never)');
    assert.equal(line.signal, 'SIGKILL');
    assert.equal(line.provider, 'helloworld');

    const why = 'restart policy never (last: killed by SIGKILL)';
    const reply = await rpc(false, run.url, 'plugin@helloworld_greeting', ['x']);
    assert.deepEqual(reply.error, {
      code: -32000,
      message: `rpc error: code = Unavailable desc = plugin helloworld (hello) is not running and will not be restarted: ${why}`,
    });
    const failed = await status(false, run.url);
    assert.deepEqual([failed.state, failed.pid, failed.error], ['failed', null, why]);

    assert.equal((await rpc(false, run.url, 'admin_reloadPlugin', ['helloworld'])).result, true);
    assert.equal((await rpc(false, run.url, 'plugin@helloworld_greeting', ['back'])).result, 'Hello back!');

    const exited = new Promise<number | null>((resolve) => run.child.once('exit', (code) => resolve(code)));
    run.child.kill('SIGINT');
    assert.equal(await exited, 0, run.stderr());
    await expectNoProcesses(`${dir}/`);
  });
});
