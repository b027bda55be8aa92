/**
 * The plugin manager keeps providers running: a provider killed with SIGKILL
 * is restarted in the same workspace and Init runs again with the config it
 * had (a reload is what reads the config again); calls made meanwhile wait.
 * Once the crash budget is spent the provider is `failed`: calls fail at once
 * saying why, pluginsInfo says why, and a reload brings it back. Real TS
 * hello world processes; the supervisor's time runs on a manual clock.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { createLogger } from '@qplugin/go-plugin/protocol';
import { expectNoProcesses, ManualClock } from '@qplugin/go-plugin/testing';
import { packPlugin } from '@qplugin/cli';
import { createPluginManager, loadSettings, PluginGreeting } from '@qplugin/quorum';
import type { PluginManager, SupervisionOptions } from '@qplugin/quorum';

import { HELLOWORLD_PLUGIN } from '../src/support/paths.js';

const scratch = mkdtempSync(join(tmpdir(), 'qp-mgr-sup-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
/** Marks this file's plugin processes (workspaces live under it, so it is in their argv). */
const workspaceRoot = join(scratch, `ws-${randomUUID()}`);
mkdirSync(workspaceRoot);

/** Log records, and a way to wait for the next one matching a pattern. */
function logLines() {
  const lines: string[] = [];
  const waiting = new Set<{ re: RegExp; resolve: (line: string) => void }>();
  const logger = createLogger(
    (level, message, _m, fields) => {
      const line = `${level} ${message} ${JSON.stringify(fields)}`;
      lines.push(line);
      for (const w of [...waiting])
        if (w.re.test(line)) {
          waiting.delete(w);
          w.resolve(line);
        }
    },
    { level: 'debug' },
  );
  return {
    lines,
    logger,
    next: (re: RegExp) => new Promise<string>((resolve) => waiting.add({ re, resolve })),
  };
}

async function setup(supervision: SupervisionOptions) {
  const dir = mkdtempSync(join(scratch, 'case-'));
  const baseDir = join(dir, 'plugins');
  await packPlugin({ name: 'hello', version: '1.0.0', entry: HELLOWORLD_PLUGIN, outDir: baseDir });
  const configFile = join(dir, 'hello.json');
  writeFileSync(configFile, '{"language":"en"}');
  const settingsFile = join(dir, 'settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({
      baseDir,
      providers: { helloworld: { name: 'hello', version: '1.0.0', config: `file://${configFile}` } },
    }),
  );
  const log = logLines();
  const manager: PluginManager = createPluginManager({
    settings: await loadSettings(`file://${settingsFile}`),
    verification: 'skip',
    workspaceRoot,
    supervision: { random: () => 0.5, healthIntervalMs: 0, ...supervision },
    logger: log.logger,
  });
  after(() => manager.stop());
  return { manager, configFile, log, hello: manager.client('helloworld', PluginGreeting) };
}

describe('plugin manager supervision', () => {
  it('restarts a killed provider in its workspace with the same config; reload reads the config again', async () => {
    const clock = new ManualClock();
    const { manager, configFile, log, hello } = await setup({ clock });
    await manager.start();
    assert.equal((await hello.greeting({ msg: 'Quorum' })).msg, 'Hello Quorum!');
    const before = manager.pluginsInfo().helloworld!;
    assert.equal(before.state, 'ready');

    writeFileSync(configFile, '{"language":"es"}'); // not read until a reload
    const planned = log.next(/^error plugin killed by SIGKILL; restarting in 50 ms/);
    process.kill(before.pid!, 'SIGKILL');
    const line = await planned;
    assert.match(line, /"provider":"helloworld"/);
    assert.match(line, /"signal":"SIGKILL"/);
    assert.equal(manager.pluginsInfo().helloworld?.state, 'restarting');

    const waiting = hello.greeting({ msg: 'again' });
    const initialised = log.next(/^info Initializing plugin .*"incarnation":2/);
    clock.advance(50);
    await initialised;
    assert.equal((await waiting).msg, 'Hello again!', 'same config bytes as before the crash');
    const after = manager.pluginsInfo().helloworld!;
    assert.equal(after.state, 'ready');
    assert.notEqual(after.pid, before.pid);
    assert.deepEqual(after.executable, before.executable, 'same workspace');
    assert.equal(after.restarts, 1);
    assert.equal(after.lastExit?.signal, 'SIGKILL');

    assert.equal(await manager.reload('helloworld'), true);
    assert.equal((await hello.greeting({ msg: 'Quorum' })).msg, 'Hola Quorum!');
    assert.notDeepEqual(manager.pluginsInfo().helloworld?.executable, before.executable, 'fresh workspace');
    await manager.stop();
    assert.deepEqual(readdirSync(workspaceRoot), [], 'every workspace was deleted');
    await expectNoProcesses(workspaceRoot);
  });

  it('a spent crash budget leaves the provider failed: calls fail at once saying why; reload revives it', async () => {
    const clock = new ManualClock();
    const { manager, log, hello } = await setup({ clock, maxCrashes: 2 });
    await manager.start();
    const restarting = log.next(/restarting in 50 ms/);
    process.kill(manager.pluginsInfo().helloworld!.pid!, 'SIGKILL');
    await restarting;
    const back = log.next(/^info plugin restarted/);
    clock.advance(50);
    await back;
    const givingUp = log.next(/^error plugin killed by SIGKILL; giving up: 2 crashes within 60 s/);
    process.kill(manager.pluginsInfo().helloworld!.pid!, 'SIGKILL');
    await givingUp;

    const why =
      'plugin helloworld (hello) is not running and will not be restarted: 2 crashes within 60 s (last: killed by SIGKILL)';
    await assert.rejects(hello.greeting({ msg: 'x' }), (e: Error) => e.message.endsWith(why));
    const info = manager.pluginsInfo().helloworld!;
    assert.deepEqual([info.state, info.pid, info.error], ['failed', null, why.replace(/^.*restarted: /, '')]);

    assert.equal(await manager.reload('helloworld'), true);
    assert.equal(manager.pluginsInfo().helloworld?.state, 'ready');
    assert.equal((await hello.greeting({ msg: 'back' })).msg, 'Hello back!');
    await manager.stop();
    await expectNoProcesses(workspaceRoot);
  });
});
