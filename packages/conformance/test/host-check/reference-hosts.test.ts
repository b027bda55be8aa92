/**
 * The host check against the reference hosts: the Go hosts of interop/go
 * (go-plugin v1.0.1, v1.2.2, v1.8.0, Quorum's handshake), the kv host written
 * after go-plugin's example, and our TypeScript host (PluginClient). Where a
 * Go host differs from ours the report says how, without failing it: the Go
 * hosts are the reference. Real processes, every scenario.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import type { PointResult } from '../../src/points.js';
import { KV_PRESET } from '../../src/presets.js';
import type { HostProfile } from '../../src/presets.js';
import { runHostCheck } from '../../src/host-check/runner.js';
import type { HostCheckReport } from '../../src/host-check/runner.js';
import { buildGoPeers, goPeer, goSkip, isolateTmp, QUORUM_COOKIE, TS_HOST } from '../support/go-peers.js';

isolateTmp();
const QUORUM: HostProfile = { host: 'geth', cookie: QUORUM_COOKIE, protocolVersions: [1], autoMTLS: true };
const TIMING = { idleMs: 3000, concurrency: 3 };

const statuses = (report: HostCheckReport): Record<string, string> =>
  Object.fromEntries(report.points.map((p) => [p.id, p.status]));
const point = (report: HostCheckReport, id: string): PointResult => {
  const p = report.points.find((x) => x.id === id);
  if (!p) throw new Error(`no point ${id} in ${report.points.map((x) => x.id).join(', ')}`);
  return p;
};
const explain = (report: HostCheckReport): string =>
  report.points.map((p) => `${p.id} ${p.status}: ${p.detail}`).join('\n');

const ALL_PASS = {
  launch: 'pass',
  env: 'pass',
  'host-certificate': 'pass',
  tls: 'pass',
  services: 'pass',
  io: 'pass',
  shutdown: 'pass',
  'verifies-plugin': 'pass',
  'garbage-line': 'pass',
  'bad-version': 'pass',
  'stdout-noise': 'pass',
  'slow-start': 'pass',
  'missing-services': 'pass',
  hung: 'pass',
  'host-stop': 'pass',
};

describe('host check: reference hosts', { concurrency: 2 }, () => {
  before(() => buildGoPeers('v1.0.1', 'v1.2.2', 'v1.8.0', 'kv'));

  it("our TypeScript host passes every point, its plugin's whole process group going with it", async () => {
    const report = await runHostCheck({
      command: [
        process.execPath,
        TS_HOST,
        '--cookie',
        `${QUORUM_COOKIE.key}=${QUORUM_COOKIE.value}`,
        '--',
        '{probe}',
      ],
      profile: QUORUM,
      ...TIMING,
    });
    assert.deepEqual(statuses(report), ALL_PASS, explain(report));
    assert.equal(report.goPlugin, undefined);
    assert.match(point(report, 'launch').detail, /in a process group of its own/);
    assert.match(point(report, 'env').detail, /PLUGIN_UNIX_SOCKET_DIR=\S+ \(mode 0700\)/);
    assert.match(point(report, 'shutdown').detail, /called GRPCController\.Shutdown \(a 2 s deadline\)/);
    assert.match(point(report, 'hung').detail, /was killed .* after Shutdown; its child process went too/);
    assert.match(point(report, 'host-stop').detail, /after the check's SIGTERM to the host/);
  });

  for (const version of ['v1.0.1', 'v1.2.2', 'v1.8.0'] as const) {
    it(
      `the Go host built with go-plugin ${version}: all pass but host-stop (left to the application)`,
      { skip: goSkip() },
      async () => {
        const report = await runHostCheck({
          command: [goPeer(version).host, '--', '{probe}'],
          profile: QUORUM,
          ...TIMING,
        });
        assert.deepEqual(statuses(report), { ...ALL_PASS, 'host-stop': 'warn' }, explain(report));
        assert.equal(report.goPlugin, version);
        assert.match(point(report, 'launch').detail, /in the host's process group \(as go-plugin\)/);
        assert.match(
          point(report, 'tls').detail,
          /TLSv1\.3, ALPN h2, SNI "localhost", presents the certificate it sent, accepts ecdsa_secp521r1_sha512/,
        );
        assert.match(point(report, 'shutdown').detail, /no deadline, as go-plugin/);
        assert.match(
          point(report, 'verifies-plugin').detail,
          /refused the TLS handshake \((sslv3|ssl\/tls) alert bad certificate\)/,
        );
        assert.match(
          point(report, 'bad-version').detail,
          /incompatible API version with plugin\. Plugin version: 2, Client versions: \[1\]/i,
        );
        assert.match(
          point(report, 'hung').detail,
          /its child process \(qplugin-probe-child\) survived: only the plugin process was killed \(as go-plugin/,
        );
        assert.deepEqual(point(report, 'host-stop').rules, ['LC-7']);
        assert.match(point(report, 'host-stop').fix, /plugin\.CleanupClients\(\)/);
        const services = point(report, 'services').detail;
        if (version === 'v1.0.1')
          assert.match(services, /no GRPCStdio\.StreamStdio \(go-plugin v1\.0\.1 predates it\)/);
        else assert.match(services, /opened GRPCStdio\.StreamStdio/);
      },
    );
  }

  it(
    'the Go host v1.8.0 asking for multiplexing: the probe serves gRPC over yamux, TLS per stream',
    { skip: goSkip() },
    async () => {
      const report = await runHostCheck({
        command: [goPeer('v1.8.0').host, '-mux', '--', '{probe}'],
        profile: QUORUM,
        scenarios: ['wrong-cert', 'hung'],
        ...TIMING,
      });
      for (const p of report.points) assert.equal(p.status, 'pass', `${p.id}: ${p.detail}`);
      assert.match(
        point(report, 'env').detail,
        /PLUGIN_MULTIPLEX_GRPC=true \(multiplexed broker, go-plugin >= 1\.6\)/,
      );
      assert.match(point(report, 'verifies-plugin').detail, /refused the TLS handshake/);
    },
  );

  it(
    "the kv host (go-plugin's example pattern), its plugin command exec'd: as the other Go hosts, without TLS",
    { skip: goSkip() },
    async () => {
      const report = await runHostCheck({
        command: ['env', 'KV_PLUGIN=exec {probe}', goPeer('kv').host, 'get', 'hello'],
        profile: KV_PRESET,
        ...TIMING,
      });
      assert.deepEqual(
        statuses(report),
        { ...ALL_PASS, 'host-certificate': 'skip', 'verifies-plugin': 'skip', 'host-stop': 'warn' },
        explain(report),
      );
      assert.match(
        point(report, 'env').detail,
        /cookie BASIC_PLUGIN set.*no PLUGIN_CLIENT_CERT: AutoMTLS off/,
      );
      assert.match(point(report, 'services').detail, /application calls \/kv\.KV\/Get/);
    },
  );

  it(
    'the kv host with the plugin under a shell (as the example documents): the shell is killed, the plugin is left (LC-6)',
    { skip: goSkip() },
    async () => {
      const report = await runHostCheck({
        command: ['env', 'KV_PLUGIN={probe}', goPeer('kv').host, 'get', 'hello'],
        profile: KV_PRESET,
        scenarios: ['garbage-line', 'hung'],
        ...TIMING,
      });
      for (const id of ['garbage-line', 'hung']) {
        const p = point(report, id);
        assert.equal(p.status, 'warn', `${id}: ${p.detail}`);
        assert.deepEqual(p.rules.slice(0, 1), ['LC-6']);
        assert.match(
          p.detail,
          /the host stopped the process it started \(\S+ "sh -c [^"]+"\) \d+ ms after .*, but the plugin under it kept running/,
        );
        assert.match(p.fix, /KV_PLUGIN="exec \.\/plugin"/);
      }
      assert.match(point(report, 'launch').detail, /started through \S+ \("sh -c /);
    },
  );
});
