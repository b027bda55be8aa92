/**
 * `qplugin check` against plugins that are right: the TS hello world as a
 * command and as a distribution zip (also with --verify), the Go plugin
 * built with go-plugin v1.2.2 (geth's version); the --json document; the
 * exit statuses 0 (no failure), 3 (a point failed), 1 (the check could not
 * run) and 2 (usage).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { generateSigningKey, signChecksum } from '@qplugin/quorum';
import { packPlugin } from '../../src/packaging/index.js';
import {
  BROKEN,
  HELLOWORLD,
  REPO_ROOT,
  checkJson,
  failedIds,
  point,
  qplugin,
} from '../fixtures/check/run-cli.js';

const POINT_IDS = [
  'cookie',
  'handshake',
  'certificate',
  'mtls',
  'health',
  'init',
  'stdio',
  'shutdown',
  'orphans',
  'stderr-log',
];

const scratch = mkdtempSync(join(tmpdir(), 'qp-cli-check-'));

/** Builds the Go interop peer and returns its plugin. */
function goPeer(version: string): string {
  assert.ok(!goMissing, 'REQUIRE_INTEROP=1 but the Go toolchain (`go`) is not on PATH');
  execFileSync('bash', [join(REPO_ROOT, 'interop', 'go', 'build.sh'), version], { stdio: 'inherit' });
  return join(REPO_ROOT, 'interop', 'go', 'bin', version, 'plugin');
}
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Without Go the Go case skips, visibly; with REQUIRE_INTEROP=1 it fails instead. */
const goMissing = spawnSync('go', ['version']).status !== 0;
const goSkip =
  goMissing && process.env.REQUIRE_INTEROP !== '1'
    ? 'skipped: the Go toolchain (`go`) is not on PATH (set REQUIRE_INTEROP=1 to make this a failure)'
    : false;

describe('qplugin check: conforming plugins pass', { concurrency: 3 }, () => {
  it('TS hello world as a command: all ten points pass, exit 0, --json parses', async () => {
    const { code, doc } = await checkJson(['--', process.execPath, HELLOWORLD]);
    assert.deepEqual(
      doc.points.map((p) => p.id),
      POINT_IDS,
    );
    for (const p of doc.points) {
      assert.equal(p.status, 'pass', `${p.id}: ${p.detail}`);
      assert.equal(typeof p.title, 'string');
      assert.equal(typeof p.fix, 'string');
    }
    assert.equal(code, 0);
    assert.equal(doc.ok, true);
    assert.deepEqual(doc.summary, { pass: 10, warn: 0, fail: 0, skip: 0 });
    assert.match(doc.handshake ?? '', /^1\|1\|unix\|\/.+\|grpc\|[A-Za-z0-9+/]{500,}$/);
    assert.equal(doc.target.kind, 'command');
    assert.match(point(doc, 'init').detail, /InvalidArgument "unsupported language: \[\]"/);
    assert.match(point(doc, 'mtls').detail, /TLSv1\.3, ALPN h2/);
  });

  it('TS hello world with a config: Init answers OK', async () => {
    const { code, doc } = await checkJson([
      '--config',
      '{"language":"es"}',
      '--',
      process.execPath,
      HELLOWORLD,
    ]);
    assert.equal(code, 0);
    assert.equal(point(doc, 'init').detail, 'Init with the given config: OK');
  });

  it('TS hello world packed as a zip (packPlugin), unverified then with --verify', async () => {
    const packed = await packPlugin({
      name: 'quorum-plugin-hello-world',
      version: '1.0.0',
      entry: HELLOWORLD,
      outDir: scratch,
    });
    const plain = await checkJson([packed.zipPath]);
    assert.equal(plain.code, 0, JSON.stringify(plain.doc.points, null, 2));
    assert.deepEqual(failedIds(plain.doc), []);
    assert.equal(plain.doc.target.kind, 'zip');
    assert.deepEqual(plain.doc.target.verification, { mode: 'skip' });
    assert.equal(
      (plain.doc.target.meta as { entrypoint: string }).entrypoint,
      'quorum-plugin-hello-world.cjs',
    );
    // The workspace the zip was unpacked into is gone afterwards.
    assert.equal(existsSync(String(plain.doc.target.command)), false);

    // --verify without key and signature: the check cannot run (exit 1); geth's order, key first.
    const unsigned = await qplugin(['check', '--verify', packed.zipPath]);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /public key: stat .*gpg\.key: no such file or directory\nfix: .*--key/);

    const key = await generateSigningKey({ name: 'check test', email: 'check@example.invalid' });
    writeFileSync(`${packed.zipPath}.sha256sum.asc`, await signChecksum(packed.checksum, key.privateKey));
    const keyFile = join(scratch, 'signer.asc');
    writeFileSync(keyFile, key.publicKey);
    const verified = await checkJson(['--key', keyFile, packed.zipPath]);
    assert.equal(verified.code, 0);
    assert.equal((verified.doc.target.verification as { mode: string }).mode, 'local');
  });

  it(
    "Go plugins built with go-plugin v1.2.2 (geth's version) and v1.8.0 pass every point",
    { skip: goSkip },
    async () => {
      for (const version of ['v1.2.2', 'v1.8.0']) {
        const { code, doc } = await checkJson(['--', goPeer(version)]);
        for (const p of doc.points) assert.equal(p.status, 'pass', `${version} ${p.id}: ${p.detail}`);
        assert.equal(code, 0);
        assert.equal(doc.target.goPlugin, version);
        assert.match(point(doc, 'cookie').detail, /go-plugin's explanation/);
        assert.match(point(doc, 'shutdown').detail, /exit status 0/);
        assert.match(
          point(doc, 'mtls').detail,
          /the host's P-521 one works \(TLSv1\.3, ALPN h2, ecdsa_secp521r1_sha512 accepted\)/,
        );
      }
    },
  );

  it(
    "a Go plugin built with go-plugin v1.0.1 (as Quorum's Go hello world) is told to upgrade for GRPCStdio",
    { skip: goSkip },
    async () => {
      const { code, doc } = await checkJson(['--', goPeer('v1.0.1')]);
      assert.equal(code, 0);
      assert.deepEqual(doc.summary, { pass: 9, warn: 1, fail: 0, skip: 0 });
      const stdio = point(doc, 'stdio');
      assert.equal(stdio.status, 'warn');
      assert.deepEqual(stdio.rules, ['SVC-3']);
      assert.match(
        stdio.detail,
        /the plugin is built with go-plugin v1\.0\.1, which predates it \(added in 1\.1\.0\)/,
      );
      assert.equal(stdio.fix, 'Upgrade go-plugin to >= 1.1 for GRPCStdio and rebuild the plugin.');
    },
  );

  it(
    '--preset kv: the Go kv plugin, played as the KV example host (no AutoMTLS, no Init)',
    { skip: goSkip },
    async () => {
      execFileSync('bash', [join(REPO_ROOT, 'interop', 'go', 'build.sh'), 'kv'], { stdio: 'inherit' });
      const { code, doc } = await checkJson([
        '--preset',
        'kv',
        '--',
        join(REPO_ROOT, 'interop', 'go', 'bin', 'kv', 'plugin'),
      ]);
      assert.equal(code, 0, JSON.stringify(doc.points, null, 2));
      assert.equal(doc.preset, 'kv');
      assert.deepEqual(doc.profile, {
        host: 'the go-plugin KV example host',
        cookie: { key: 'BASIC_PLUGIN', value: 'hello' },
        protocolVersions: [1],
        autoMTLS: false,
      });
      assert.deepEqual(
        doc.points.map((p) => p.id),
        POINT_IDS.filter((id) => id !== 'init'),
      );
      assert.equal(point(doc, 'certificate').status, 'skip');
    },
  );

  it('--cookie, --protocol-versions and --no-init make any handshake; the text report cites rules', async () => {
    const run = await qplugin([
      'check',
      '--cookie',
      'QUORUM_PLUGIN_MAGIC_COOKIE=wrong',
      '--protocol-versions',
      '1',
      '--no-init',
      '--',
      process.execPath,
      HELLOWORLD,
    ]);
    assert.equal(run.code, 3);
    assert.match(run.stdout, /as the host: QUORUM_PLUGIN_MAGIC_COOKIE, versions 1, AutoMTLS/);
    assert.match(
      run.stdout,
      /✖ FAIL {2}2 handshake {4}handshake line: stdout closed without a handshake \(exit status 1\)/,
    );
    assert.match(run.stdout, /\[HS-1\]/);
    assert.doesNotMatch(run.stdout, / init /);
  });
});

describe('qplugin check: exit statuses and output', { concurrency: 3 }, () => {
  it('3 when a point failed; the text report names it with its fix', async () => {
    const run = await qplugin(['check', '--', process.execPath, BROKEN, 'no-health']);
    assert.equal(run.code, 3);
    assert.match(run.stdout, /✖ FAIL +5 health/);
    assert.match(run.stdout, /fix: Register grpc\.health\.v1\.Health/);
    assert.match(run.stdout, /FAILED: 9 passed, 0 warning\(s\), 1 failed, 0 skipped/);
  });

  it('1 when the plugin cannot be started, with a JSON error document', async () => {
    const run = await qplugin(['check', '--json', '--', join(scratch, 'no-such-plugin')]);
    assert.equal(run.code, 1);
    const doc = JSON.parse(run.stdout) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(doc.ok, false);
    assert.equal(doc.error.code, 'SPAWN_FAILED');
    assert.match(doc.error.message, /ENOENT/);
  });

  it('2 for a usage error, saying which', async () => {
    const usage = async (args: string[], said: RegExp): Promise<void> => {
      const run = await qplugin(['check', ...args]);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, said);
    };
    await usage([], /give a plugin zip, or -- and the command/);
    await usage(['--timeout', 'soon', '--', 'x'], /--timeout must be a positive number/);
    await usage(['--config', '{nope', '--', 'x'], /--config must be JSON/);
    await usage(['--preset', 'nomad', '--', 'x'], /unknown --preset "nomad"; one of quorum, kv, terraform/);
    await usage(['--cookie', 'novalue', '--', 'x'], /--cookie must be KEY=VALUE/);
    await usage(['--protocol-versions', '5,x', '--', 'x'], /--protocol-versions must be positive integers/);
    await usage(
      ['--preset', 'kv', '--config', '{}', '--', 'x'],
      /--config is sent in Init, which runs with the quorum preset only/,
    );
  });

  it('a plugin that never prints a handshake: timeout, later points skipped, exit 3', async () => {
    const { code, doc } = await checkJson([
      '--timeout',
      '1',
      '--',
      process.execPath,
      '-e',
      'setTimeout(() => {}, 30000)',
    ]);
    assert.equal(code, 3);
    assert.match(point(doc, 'handshake').detail, /no handshake line within 1 s/);
    assert.match(point(doc, 'cookie').detail, /still running/);
    for (const id of ['certificate', 'mtls', 'health', 'init', 'stdio', 'shutdown'])
      assert.equal(point(doc, id).status, 'skip', id);
    assert.equal(point(doc, 'orphans').status, 'pass');
  });
});
