/**
 * `qplugin check` against deliberately broken plugins
 * (fixtures/check/broken-plugin.ts): each fails exactly the point its mistake
 * belongs to, for the right reason, and no other point is failed with it.
 * All run as real processes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { processesMatching } from '@qplugin/go-plugin/testing';

import {
  BROKEN,
  LEFTOVER_MARKER,
  REPO_ROOT,
  checkJson,
  failedIds,
  point,
} from '../fixtures/check/run-cli.js';
import type { CheckJson } from '../fixtures/check/run-cli.js';

interface Case {
  mode: string;
  id: string;
  reason: RegExp;
  fix: RegExp;
  skip?: string | false;
  /** Points the failure makes impossible to evaluate. */
  skips?: string[];
  /** More assertions on the document. */
  also?: (doc: CheckJson) => void;
}

/** Without Go the Go case skips, visibly; with REQUIRE_INTEROP=1 it fails instead. */
const goMissing = spawnSync('go', ['version']).status !== 0;
const goSkip =
  goMissing && process.env.REQUIRE_INTEROP !== '1'
    ? 'skipped: the Go toolchain (`go`) is not on PATH (set REQUIRE_INTEROP=1 to make this a failure)'
    : false;

const noOpenssl = spawnSync('openssl', ['version']).status === 0 ? false : 'skipped: openssl is not on PATH';

const CASES: Case[] = [
  {
    mode: 'padded-cert',
    id: 'handshake',
    reason:
      /certificate is padded base64: Go hosts refuse it \(go-plugin: error parsing server cert: illegal base64 data at input byte \d+\)/,
    fix: /Strip the "=" padding/,
    // The certificate itself is fine, and decoded leniently the rest can be checked.
    also: (doc) => assert.equal(point(doc, 'certificate').status, 'pass'),
  },
  {
    mode: 'cn-only',
    id: 'certificate',
    reason: /CN=localhost but no subjectAltName: Go >= 1\.15 ignores the CN/,
    fix: /subjectAltName = DNS:localhost/,
    skip: noOpenssl,
  },
  {
    mode: 'no-cookie-check',
    id: 'cookie',
    reason: /without the cookie it printed a handshake and served: "1\|1\|unix\|/,
    fix: /QUORUM_PLUGIN_MAGIC_COOKIE/,
  },
  {
    mode: 'no-health',
    id: 'health',
    reason: /grpc\.health\.v1\.Health is not implemented \(Unimplemented\)/,
    fix: /"Writing plugins in other languages" guide requires/,
    // Init and the rest still work over the same connection.
    also: (doc) => assert.equal(point(doc, 'init').status, 'pass'),
  },
  {
    mode: 'stdout-noise',
    id: 'handshake',
    reason:
      /1 line\(s\) on stdout before the handshake, first "starting broken-plugin v0\.0\.1" \(go-plugin: Unrecognized remote plugin message: starting broken-plugin v0\.0\.1\)/,
    fix: /send banners and logs to stderr/,
    also: (doc) => assert.match(doc.handshake ?? '', /^1\|1\|unix\|/),
  },
  {
    mode: 'no-client-auth',
    id: 'mtls',
    reason:
      /accepts a TLS connection without a client certificate.*accepts a client certificate other than PLUGIN_CLIENT_CERT/,
    fix: /Require and verify client certificates/,
  },
  {
    mode: 'no-p521',
    id: 'mtls',
    reason:
      /a TLS connection with the host's P-521 certificate fails \([^)]+\): the plugin's CertificateRequest \(TLSv1\.3\) does not offer ecdsa_secp521r1_sha512/,
    fix: /Accept ecdsa_secp521r1_sha512 signatures from clients: .*\(offered: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, .*BoringSSL/,
    skips: ['health', 'init', 'stdio', 'shutdown'],
    also: (doc) => {
      const mtls = point(doc, 'mtls');
      assert.deepEqual(mtls.rules, ['TLS-6']);
    },
  },
  {
    mode: 'ignore-shutdown',
    id: 'shutdown',
    reason:
      /Shutdown answered OK but the plugin was still running 2 s later: geth logs "plugin failed to exit gracefully"/,
    fix: /exit the process within 2 s/,
    // Killed like geth kills it (the direct child): nothing left, and its socket is not held against it.
    also: (doc) => assert.equal(point(doc, 'orphans').status, 'pass'),
  },
  {
    mode: 'leave-child',
    id: 'orphans',
    reason: new RegExp(`1 process\\(es\\) left behind: \\d+ ".*${LEFTOVER_MARKER}`),
    fix: /Stop every child process on shutdown/,
    also: (doc) => {
      assert.equal(point(doc, 'shutdown').status, 'pass');
      // The check cleaned up after reporting.
      assert.deepEqual(processesMatching(LEFTOVER_MARKER), []);
    },
  },
];

describe('qplugin check: broken plugins fail the right point', { concurrency: 4 }, () => {
  for (const c of CASES) {
    it(`${c.mode} → ${c.id}`, { skip: c.skip ?? false }, async () => {
      const { code, doc } = await checkJson(['--', process.execPath, BROKEN, c.mode]);
      const failed = point(doc, c.id);
      assert.equal(failed.status, 'fail', `${c.id}: ${failed.detail}`);
      assert.match(failed.detail, c.reason);
      assert.match(failed.fix, c.fix);
      assert.deepEqual(failedIds(doc), [c.id], JSON.stringify(doc.points, null, 2));
      assert.deepEqual(
        doc.points.filter((p) => p.status === 'skip').map((p) => p.id),
        c.skips ?? [],
      );
      assert.equal(code, 3);
      assert.equal(doc.ok, false);
      c.also?.(doc);
    });
  }

  it(
    'no-p521: geth\'s go-plugin host really fails the same way, saying only "certificate required"',
    { skip: goSkip },
    () => {
      assert.ok(!goMissing, 'REQUIRE_INTEROP=1 but the Go toolchain (`go`) is not on PATH');
      execFileSync('bash', [join(REPO_ROOT, 'interop', 'go', 'build.sh'), 'v1.2.2'], { stdio: 'inherit' });
      const out = execFileSync(
        join(REPO_ROOT, 'interop', 'go', 'bin', 'v1.2.2', 'host'),
        ['-steps', 'init:{}', '--', process.execPath, BROKEN, 'no-p521'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const init = JSON.parse(out.split('\n').find((l) => l.includes('"step":"init"'))!) as Record<
        string,
        unknown
      >;
      assert.equal(init.ok, false);
      assert.equal(init.code, 'Unavailable');
      // The plugin refuses the handshake and closes; Go reads the alert, or (when its preface write
      // comes first on a loaded machine) hits the closed socket: both are the TLS refusal.
      assert.match(
        String(init.message),
        /remote error: tls: certificate required|failed to write client preface: .*broken pipe/,
      );
    },
  );

  it('the raw fixture done right passes (the breakage is all there is)', async () => {
    const { code, doc } = await checkJson(['--', process.execPath, BROKEN, 'ok']);
    assert.deepEqual(failedIds(doc), []);
    assert.equal(code, 0);
  });
});
