/**
 * `qplugin check` against deliberately broken plugins
 * (fixtures/check/broken-plugin.ts): each fails exactly the point its mistake
 * belongs to, for the right reason, and no other point is failed with it.
 * All run as real processes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { processesMatching } from '@qplugin/go-plugin/testing';

import { BROKEN, LEFTOVER_MARKER, checkJson, failedIds, point } from './fixtures/check/run-cli.js';
import type { CheckJson } from './fixtures/check/run-cli.js';

interface Case {
  mode: string;
  id: string;
  reason: RegExp;
  fix: RegExp;
  skip?: string | false;
  /** More assertions on the document. */
  also?: (doc: CheckJson) => void;
}

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
      assert.equal(doc.points.filter((p) => p.status === 'skip').length, 0);
      assert.equal(code, 3);
      assert.equal(doc.ok, false);
      c.also?.(doc);
    });
  }

  it('the raw fixture done right passes (the breakage is all there is)', async () => {
    const { code, doc } = await checkJson(['--', process.execPath, BROKEN, 'ok']);
    assert.deepEqual(failedIds(doc), []);
    assert.equal(code, 0);
  });
});
