/**
 * The plugin check through the kit's API, for handshakes other than Quorum's:
 * the Go kv plugin (go-plugin's example, no AutoMTLS), TypeScript plugins
 * speaking Terraform's versions, one speaking a version the host does not
 * offer, and one that serves TLS to a host without it. Real processes.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import type { PointResult } from '../../src/points.js';
import { runPluginCheck } from '../../src/plugin-check/runner.js';
import { KV_PRESET, TERRAFORM_PRESET } from '../../src/presets.js';
import type { HostProfile } from '../../src/presets.js';
import { buildGoPeers, goPeer, goSkip, isolateTmp, TS_PLUGIN } from '../support/go-peers.js';

isolateTmp();
const point = (points: PointResult[], id: string): PointResult => {
  const p = points.find((x) => x.id === id);
  if (!p) throw new Error(`no point ${id}`);
  return p;
};
const statuses = (points: PointResult[]): Record<string, string> =>
  Object.fromEntries(points.map((p) => [p.id, p.status]));

const check = (command: string, args: string[], profile: HostProfile) =>
  runPluginCheck({ command, args, timeoutMs: 20_000, profile });

describe('plugin check: any handshake', { concurrency: 3 }, () => {
  before(() => buildGoPeers('kv'));

  it(
    "the Go kv plugin (go-plugin's example pattern) passes as the KV example host plays it",
    { skip: goSkip() },
    async () => {
      const report = await check(goPeer('kv').plugin, [], KV_PRESET);
      assert.deepEqual(statuses(report.points), {
        cookie: 'pass',
        handshake: 'pass',
        certificate: 'skip',
        mtls: 'pass',
        health: 'pass',
        stdio: 'pass',
        shutdown: 'pass',
        orphans: 'pass',
        'stderr-log': 'pass',
      });
      assert.equal(report.goPlugin, 'v1.8.0');
      assert.match(report.handshake ?? '', /^1\|1\|unix\|\/.+\|grpc\|$/);
      assert.equal(
        point(report.points, 'certificate').detail,
        'the host uses no TLS (no PLUGIN_CLIENT_CERT)',
      );
      assert.match(
        point(report.points, 'mtls').detail,
        /serves plaintext HTTP\/2, as a host without AutoMTLS needs/,
      );
    },
  );

  it('a TS plugin speaking 5 and 6 under Terraform picks 6; offered only 5, it picks 5', async () => {
    const both = await check(process.execPath, [TS_PLUGIN, 'terraform'], TERRAFORM_PRESET);
    for (const p of both.points) assert.equal(p.status, 'pass', `${p.id}: ${p.detail}`);
    assert.match(both.handshake ?? '', /^1\|6\|unix\|/);
    const five = await check(process.execPath, [TS_PLUGIN, 'terraform'], {
      ...TERRAFORM_PRESET,
      protocolVersions: [5],
    });
    assert.match(five.handshake ?? '', /^1\|5\|unix\|/);
    assert.equal(point(five.points, 'handshake').status, 'pass');
  });

  it("a plugin speaking only a version the host does not offer fails the handshake with go-plugin's words", async () => {
    const report = await check(process.execPath, [TS_PLUGIN, 'v4-only'], TERRAFORM_PRESET);
    const hs = point(report.points, 'handshake');
    assert.equal(hs.status, 'fail');
    assert.deepEqual(hs.rules, ['HS-4']);
    assert.match(
      hs.detail,
      /app version "4" \(go-plugin: incompatible API version with plugin\. Plugin version: 4, Client versions: \[6 5\]\)/,
    );
    assert.match(hs.fix, /Terraform offers PLUGIN_PROTOCOL_VERSIONS=6,5/);
  });

  it('a plugin with the wrong cookie for the profile fails to start: no handshake', async () => {
    const report = await check(process.execPath, [TS_PLUGIN, 'kv'], TERRAFORM_PRESET);
    assert.equal(point(report.points, 'cookie').status, 'pass');
    const hs = point(report.points, 'handshake');
    assert.equal(hs.status, 'fail');
    assert.match(
      hs.detail,
      /stdout closed without a handshake \(exit status 1\); last stderr line: "load any plugins automatically"/,
    );
    assert.match(hs.fix, /it must start serving when TF_PLUGIN_MAGIC_COOKIE is set/);
  });

  it('a plugin serving TLS to a host without it: a certificate in field 6, and TLS where plaintext is needed', async () => {
    const report = await check(process.execPath, [TS_PLUGIN, 'tls-anyway'], KV_PRESET);
    const hs = point(report.points, 'handshake');
    assert.equal(hs.status, 'fail');
    assert.match(
      hs.detail,
      /a certificate in field 6 although the host sent no PLUGIN_CLIENT_CERT: go-plugin hosts without AutoMTLS crash on it/,
    );
    const mtls = point(report.points, 'mtls');
    assert.equal(mtls.status, 'fail');
    assert.match(
      mtls.detail,
      /serves TLS although the host sent no PLUGIN_CLIENT_CERT: the go-plugin KV example host dials plaintext/,
    );
    for (const id of ['health', 'stdio']) assert.equal(point(report.points, id).status, 'skip', id);
  });
});
