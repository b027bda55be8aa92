/**
 * Issue 12, part 3, with real Go plugins (which, unlike ours, keep running
 * when their host dies): a host killed with SIGKILL leaves the plugin, its
 * socket directory and, for go-plugin < 1.5 (no PLUGIN_UNIX_SOCKET_DIR), a
 * socket in $TMPDIR; the next host reaps all of it. Managed Go plugins are
 * shut down when the host gets SIGTERM. And `qplugin run` (the manager):
 * SIGKILL, then a second run reaps the first one's plugin, workspace and
 * sockets; SIGTERM and SIGHUP leave nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { reapLeftovers } from '@qplugin/go-plugin/host';
import {
  expectNoProcesses,
  isAlive,
  processesMatching,
  spawnHost,
  waitUntil,
} from '@qplugin/go-plugin/testing';
import { packPlugin } from '@qplugin/cli';
import { QUORUM_HANDSHAKE } from '@qplugin/quorum';
import { goPlatform } from '@qplugin/quorum/internal';

import { GO_PLUGIN_VERSIONS, goPeer, interopSkip, REPO_ROOT } from '../src/support/go.js';

const skip = interopSkip();
const scratch = mkdtempSync(join(tmpdir(), 'qp-death-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const QPLUGIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'qplugin.mjs');

/** Names in `dir` with their kind, e.g. `plugin-dirAbC123/` or `plugin1234=` (socket). */
function listing(dir: string): string[] {
  return readdirSync(dir)
    .map((n) => {
      const st = lstatSync(join(dir, n));
      return n + (st.isDirectory() ? '/' : st.isSocket() ? '=' : '');
    })
    .sort();
}

for (const version of GO_PLUGIN_VERSIONS) {
  describe(`a go-plugin ${version} Go plugin and the death of its TS host`, { skip }, () => {
    // go-plugin < 1.5 ignores PLUGIN_UNIX_SOCKET_DIR and puts its socket straight in $TMPDIR.
    const socketInTmp = version !== 'v1.8.0';

    it('SIGKILL of the host: the plugin keeps running and its files stay; the next host reaps them', async () => {
      const tmp = mkdtempSync(join(scratch, `kill-${version}-`));
      const host = await spawnHost(
        { command: goPeer(version).plugin, handshake: QUORUM_HANDSHAKE, managed: true, socketParent: tmp },
        { ...process.env, TMPDIR: tmp },
      );
      host.child.kill('SIGKILL');
      await host.ended;
      assert.ok(isAlive(host.pluginPid), 'a Go plugin outlives its host');
      const left = listing(tmp);
      assert.equal(left.filter((n) => /^plugin-dir\w+\/$/.test(n)).length, 1, left.join(' '));
      assert.equal(left.filter((n) => /^plugin\d+=$/.test(n)).length, socketInTmp ? 1 : 0, left.join(' '));

      const reaped = reapLeftovers(tmp);
      assert.deepEqual(reaped.killed, [host.pluginPid]);
      await waitUntil(() => !isAlive(host.pluginPid), 5000, 'the orphaned plugin to die');
      assert.deepEqual(listing(tmp), [], 'socket directory and $TMPDIR socket removed');
    });

    it('SIGTERM of a host with a managed plugin: Shutdown, then the host ends by SIGTERM; nothing left', async () => {
      const tmp = mkdtempSync(join(scratch, `term-${version}-`));
      const host = await spawnHost(
        { command: goPeer(version).plugin, handshake: QUORUM_HANDSHAKE, managed: true, socketParent: tmp },
        { ...process.env, TMPDIR: tmp },
      );
      host.child.kill('SIGTERM');
      assert.deepEqual(await host.ended, { code: null, signal: 'SIGTERM' });
      assert.ok(!isAlive(host.pluginPid));
      assert.ok(
        host.lines.includes('log plugin process exited {"code":0,"signal":null}'),
        host.lines.join('\n'),
      );
      assert.deepEqual(listing(tmp), []);
    });
  });
}

describe('qplugin run with a Go plugin (go-plugin v1.2.2, geth’s)', { skip }, () => {
  async function prepare(): Promise<{ settings: string; tmp: string }> {
    const dir = mkdtempSync(join(scratch, 'run-'));
    const baseDir = join(dir, 'plugins');
    const platform = goPlatform();
    await packPlugin({
      name: 'hello-go',
      version: '1.0.0',
      executable: goPeer('v1.2.2').plugin,
      entrypoint: 'helloworld',
      outDir: baseDir,
      os: platform.os,
      arch: platform.arch,
    });
    const settings = join(dir, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        baseDir,
        providers: { helloworld: { name: 'hello-go', version: '1.0.0', config: { language: 'en' } } },
      }),
    );
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    return { settings, tmp };
  }

  /** Starts `qplugin run` and waits until it says its plugins run. */
  async function run(
    settings: string,
    tmp: string,
  ): Promise<{ child: ChildProcess; ended: Promise<unknown> }> {
    const child = spawn(
      process.execPath,
      [QPLUGIN, 'run', '--plugins', `file://${settings}`, '--plugins.skipverify', '--no-http', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } },
    );
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const ended = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, err })),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/"ok": ?true/.test(out)) resolve();
      });
      void ended.then(() => reject(new Error(`qplugin run ended before starting:\n${out}\n${err}`)));
    });
    return { child, ended };
  }

  it('SIGKILL leaves a running plugin, its workspace and sockets; the next run reaps them; SIGTERM and SIGHUP leave nothing', async () => {
    const { settings, tmp } = await prepare();
    const first = await run(settings, tmp);
    first.child.kill('SIGKILL');
    await first.ended;
    const orphans = processesMatching(`${tmp}/`);
    assert.equal(orphans.length, 1, 'the Go plugin runs on');
    const left = listing(tmp);
    assert.deepEqual(
      left
        .map((n) => n.replace(/^(qplugin-host-|plugin-dir)\w+/, '$1*').replace(/^plugin\d+=$/, 'plugin*='))
        .sort(),
      ['plugin*=', 'plugin-dir*/', 'qplugin-host-*/'].sort(),
      left.join(' '),
    );

    const second = await run(settings, tmp);
    await waitUntil(() => !isAlive(orphans[0]!), 5000, 'the first run’s plugin to be killed');
    assert.equal(processesMatching(`${tmp}/`).length, 1, 'only the second run’s plugin');
    const now = listing(tmp);
    for (const name of left) assert.ok(!now.includes(name), `${name} reaped (now: ${now.join(' ')})`);
    second.child.kill('SIGTERM');
    const stopped = (await second.ended) as { code: number | null; signal: string | null; err: string };
    assert.deepEqual([stopped.code, stopped.signal], [0, null], stopped.err);
    await expectNoProcesses(`${tmp}/`);
    assert.deepEqual(listing(tmp), [], 'SIGTERM: nothing left');

    const third = await run(settings, tmp);
    third.child.kill('SIGHUP');
    const ended = (await third.ended) as { code: number | null; signal: string | null; err: string };
    assert.deepEqual([ended.code, ended.signal], [null, 'SIGHUP'], ended.err);
    await expectNoProcesses(`${tmp}/`);
    assert.deepEqual(listing(tmp), [], 'SIGHUP: nothing left');
  });
});
