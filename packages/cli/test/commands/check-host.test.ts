/**
 * `qplugin check-host` through the CLI: geth's go-plugin host (v1.2.2) with
 * the Quorum preset, a host that never starts its plugin, the probe path
 * printed when there is no host command, and the usage errors.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { REPO_ROOT, qplugin } from '../fixtures/check/run-cli.js';

const goMissing = spawnSync('go', ['version']).status !== 0;
const goSkip =
  goMissing && process.env.REQUIRE_INTEROP !== '1'
    ? 'skipped: the Go toolchain (`go`) is not on PATH (set REQUIRE_INTEROP=1 to make this a failure)'
    : false;

interface HostDoc {
  ok: boolean;
  goPlugin?: string;
  grpc?: string;
  profile: { cookie: { key: string } } | null;
  summary: Record<string, number>;
  points: { id: string; status: string; detail: string; rules: string[] }[];
  runs: { scenario: string; launches: number; host: string }[];
}

describe('qplugin check-host', { concurrency: 3 }, () => {
  it(
    "geth's go-plugin host (v1.2.2) with the Quorum preset: no failure, exit 0",
    { skip: goSkip },
    async () => {
      assert.ok(!goMissing, 'REQUIRE_INTEROP=1 but the Go toolchain (`go`) is not on PATH');
      execFileSync('bash', [join(REPO_ROOT, 'interop', 'go', 'build.sh'), 'v1.2.2'], { stdio: 'inherit' });
      const host = join(REPO_ROOT, 'interop', 'go', 'bin', 'v1.2.2', 'host');
      const run = await qplugin([
        'check-host',
        '--json',
        '--preset',
        'quorum',
        '--idle',
        '3',
        '--',
        host,
        '--',
        '{probe}',
      ]);
      const doc = JSON.parse(run.stdout) as HostDoc;
      assert.equal(run.code, 0, run.stdout);
      assert.equal(doc.ok, true);
      assert.equal(doc.goPlugin, 'v1.2.2');
      assert.equal(doc.grpc, 'v1.56.3');
      assert.equal(doc.profile?.cookie.key, 'QUORUM_PLUGIN_MAGIC_COOKIE');
      assert.deepEqual(
        doc.points.map((p) => p.id),
        [
          'launch',
          'env',
          'host-certificate',
          'tls',
          'services',
          'io',
          'shutdown',
          'verifies-plugin',
          'garbage-line',
          'bad-version',
          'stdout-noise',
          'slow-start',
          'missing-services',
          'hung',
          'host-stop',
        ],
      );
      assert.deepEqual(doc.summary, { pass: 14, warn: 1, fail: 0, skip: 0 });
      assert.equal(doc.runs.length, 9);
      assert.match(doc.points.find((p) => p.id === 'env')!.detail, /cookie QUORUM_PLUGIN_MAGIC_COOKIE set/);
    },
  );

  it('a host that never starts its plugin: exit 3, the text report says what to do', async () => {
    const run = await qplugin([
      'check-host',
      '--scenarios',
      'hung',
      '--',
      process.execPath,
      '-e',
      'process.exit(0)',
    ]);
    assert.equal(run.code, 3);
    assert.match(
      run.stdout,
      /✖ FAIL {2}1 launch {12}how the host starts the plugin: the host never started the probe \(exit\s+status 0\) \[ENV-1\]/,
    );
    assert.match(
      run.stdout,
      /fix: Make the host start the probe: put \{probe\} where the host command\s+takes the plugin path/,
    );
    assert.match(run.stdout, /- SKIP {2}8 hung/);
    assert.match(run.stdout, /FAILED: 0 passed, 0 warning\(s\), 1 failed, 7 skipped/);
  });

  it('without a command: the probe path on stderr; nobody starts it within --wait, exit 3', async () => {
    const run = await qplugin(['check-host', '--json', '--wait', '1']);
    assert.equal(run.code, 3);
    assert.match(
      run.stderr,
      /^probe: \/\S+\/qplugin-probe\nConfigure the host to start it as its plugin, then start the host/,
    );
    const doc = JSON.parse(run.stdout) as HostDoc;
    assert.equal(doc.points[0]!.status, 'fail');
    assert.deepEqual(
      doc.runs.map((r) => r.host),
      ['started by the user'],
    );
  });

  it('2 for a usage error, saying which', async () => {
    const usage = async (args: string[], said: RegExp): Promise<void> => {
      const run = await qplugin(['check-host', ...args]);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, said);
    };
    await usage(
      ['--scenarios', 'normal,chaos', '--', 'x'],
      /unknown scenario "chaos"; one of normal, wrong-cert/,
    );
    await usage(['--protocol-versions', '5', '--', 'x'], /--protocol-versions needs --cookie or --preset/);
    await usage(['--idle', '0', '--', 'x'], /--idle must be a positive number of seconds/);
    await usage(['--cookie', 'x', '--', 'x'], /--cookie must be KEY=VALUE/);
    await usage(
      ['--cookie', 'K=v', '--protocol-versions', 'a', '--', 'x'],
      /--protocol-versions must be positive integers/,
    );
  });

  it('1 when the host command cannot be started', async () => {
    const run = await qplugin(['check-host', '--json', '--', join(REPO_ROOT, 'no-such-host')]);
    assert.equal(run.code, 1);
    const doc = JSON.parse(run.stdout) as {
      ok: boolean;
      error: { code: string; message: string; fix: string };
    };
    assert.equal(doc.error.code, 'SPAWN_FAILED');
    assert.match(doc.error.message, /ENOENT/);
    assert.match(doc.error.fix, /the host command: .* that it comes after --/);
  });
});
