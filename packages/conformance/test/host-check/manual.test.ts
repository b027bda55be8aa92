/**
 * The host check without a host command (the user starts the host with the
 * printed probe path), and the probe on its own: started by hand, or for a
 * run the check does not know.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ReportServer } from '../../src/host-check/report-server.js';
import { runHostCheckManual } from '../../src/host-check/runner.js';
import { scriptFor } from '../../src/host-check/messages.js';
import { isolateTmp, QUORUM_COOKIE, TS_HOST } from '../support/go-peers.js';

isolateTmp();
const PROBE_MAIN = fileURLToPath(new URL('../../src/host-check/probe/main.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'qp-manual-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const exitOf = (child: ChildProcess): Promise<number | null> =>
  new Promise((r) => child.once('exit', (code) => r(code)));

describe('host check by hand', () => {
  it("the printed probe, started by the user's host (ours here) twice: normal, then bad-version", async () => {
    const hosts: ChildProcess[] = [];
    const startHost = (probe: string): void => {
      const host = spawn(
        process.execPath,
        [TS_HOST, '--cookie', `${QUORUM_COOKIE.key}=${QUORUM_COOKIE.value}`, '--', probe],
        { stdio: 'ignore' },
      );
      hosts.push(host);
      // The user starts the host again for the next scenario once this one is done.
      if (hosts.length === 1) void exitOf(host).then(() => startHost(probe));
    };
    const report = await runHostCheckManual({
      onProbe: startHost,
      scenarios: ['bad-version'],
      idleMs: 3000,
      waitMs: 60_000,
    });
    await Promise.all(hosts.map((h) => (h.exitCode === null ? exitOf(h) : Promise.resolve(h.exitCode))));
    const byId = Object.fromEntries(report.points.map((p) => [p.id, p]));
    for (const id of ['launch', 'env', 'host-certificate', 'tls', 'services', 'shutdown'])
      assert.equal(byId[id]?.status, 'pass', `${id}: ${byId[id]?.detail}`);
    assert.match(byId.env!.detail, /added .*QUORUM_PLUGIN_MAGIC_COOKIE=/);
    assert.equal(byId['bad-version']?.status, 'pass', byId['bad-version']?.detail);
    assert.deepEqual(
      report.runs.map((r) => [r.scenario, r.launches]),
      [
        ['normal', 1],
        ['bad-version', 1],
      ],
    );
  });

  it('nobody starts the probe: the launch point fails, the rest is skipped', async () => {
    let path = '';
    const report = await runHostCheckManual({ onProbe: (p) => (path = p), waitMs: 500 });
    assert.match(path, /qplugin-probe$/);
    assert.equal(report.points[0]!.id, 'launch');
    assert.equal(report.points[0]!.status, 'fail');
    assert.ok(report.points.slice(1).every((p) => p.status === 'skip'));
  });
});

describe('the probe on its own', () => {
  it('started by hand, without its report socket: says so and exits 2', () => {
    const r = spawnSync(process.execPath, [PROBE_MAIN], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /started without its report socket; run it through `qplugin check-host`/);
    assert.equal(r.stdout, '');
  });

  it('no check listening: exits 4 saying why', () => {
    const r = spawnSync(process.execPath, [PROBE_MAIN, join(scratch, 'none.sock'), 'run', '1', scratch], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 4);
    assert.match(r.stderr, /qplugin probe: .*ENOENT/);
  });

  it('a run the check does not know: refused, recorded as a stranger; the probe exits 4', async () => {
    const dir = mkdtempSync(join(scratch, 'srv-'));
    const server = await ReportServer.listen(dir);
    try {
      server.register('known', () => scriptFor('normal', 0));
      const child = spawn(process.execPath, [PROBE_MAIN, server.path, 'unknown', '1', dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      assert.equal(await exitOf(child), 4);
      assert.match(stderr, /the host check closed the report socket/);
      assert.deepEqual(
        server.strangers.map((h) => h.run),
        ['unknown'],
      );
    } finally {
      await server.close();
    }
  });
});
