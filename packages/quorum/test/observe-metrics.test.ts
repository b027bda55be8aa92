/**
 * The observe module in one process: p99 from latency buckets, the metrics
 * HostMetrics writes for calls, JSON-RPC answers and distributions (a real
 * manager downloading from a fake Plugin Central, and failing to verify),
 * hostile label values escaped, and the metrics listener's routes, headers,
 * drain and errors.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Status } from '@qplugin/go-plugin/protocol';

import { createPluginManager, loadSettings } from '../src/index.js';
import {
  exitStatus,
  HostMetrics,
  LatencyHistory,
  quantile,
  startMetricsServer,
  STATUS_PAGE_CSP,
} from '../src/observe/index.js';
import type { MetricsServer } from '../src/observe/index.js';
import { startFakeCentral } from './fixtures/distribution/central.js';
import type { FakeCentral } from './fixtures/distribution/central.js';
import { scratch } from './support/scratch.js';

const ref = { provider: 'helloworld' as const, plugin: 'hello', version: '1.0.0' };

function line(text: string, prefix: string): string {
  const found = text.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(found, `no line starting ${prefix} in\n${text}`);
  return found;
}

describe('latency history', () => {
  it('p99 interpolates within the bucket, as histogram_quantile does', () => {
    const bounds = [0.001, 0.01, 0.1];
    assert.equal(quantile(0.99, [100, 0, 0, 0], bounds, 100), 0.00099);
    assert.ok(Math.abs(quantile(0.5, [50, 50, 0, 0], bounds, 100) - 0.001) < 1e-12);
    // Everything above the last bound: reported as that bound.
    assert.equal(quantile(0.99, [0, 0, 0, 10], bounds, 10), 0.1);
  });

  it('samples calls/s and p99 per interval, keeping the last N', () => {
    const h = new LatencyHistory([0.001, 0.01], 2);
    h.sample(1000);
    for (let i = 0; i < 99; i++) h.record(0.0005);
    h.record(0.005);
    h.sample(3000);
    h.sample(4000);
    h.record(1);
    h.sample(5000);
    const s = h.samples();
    assert.equal(s.length, 2, 'only the last two kept');
    assert.deepEqual(s[0], { t: 4000, callsPerSecond: 0, p99Ms: null });
    assert.deepEqual(s[1], { t: 5000, callsPerSecond: 1, p99Ms: 10 });
    const first = new LatencyHistory([0.001, 0.01], 5);
    first.sample(0);
    for (let i = 0; i < 99; i++) first.record(0.0005);
    first.record(0.005);
    first.sample(2000);
    assert.equal(first.samples()[0]!.callsPerSecond, 50);
    assert.ok(Math.abs(first.samples()[0]!.p99Ms! - 1) < 1e-9);
  });

  it('exit status: the code, or 128 + the signal number', () => {
    assert.equal(exitStatus({ code: 3, signal: null }), 3);
    assert.equal(exitStatus({ code: null, signal: 'SIGKILL' }), 137);
    assert.equal(exitStatus({ code: null, signal: 'SIGTERM' }), 143);
    assert.equal(exitStatus({ code: null, signal: null }), -1);
  });
});

describe('HostMetrics', () => {
  it('counts calls by code and times them; JSON-RPC answers by method and error code', async () => {
    const m = new HostMetrics({ runtime: false });
    m.call(ref, { method: '/proto.PluginGreeting/Greeting', code: Status.OK, durationMs: 0.2 });
    m.call(ref, { method: '/proto.PluginGreeting/Greeting', code: Status.OK, durationMs: 3 });
    m.call(ref, { method: '/proto.PluginGreeting/Greeting', code: Status.UNAVAILABLE, durationMs: 12_000 });
    m.gateway({ method: 'plugin@helloworld_greeting', code: undefined, durationMs: 1 });
    m.gateway({ method: 'plugin@helloworld_greeting', code: -32000, durationMs: 1 });
    m.gateway({ method: undefined, code: -32601, durationMs: 0.01 });
    m.obtained(ref, { source: 'downloaded', bytesDownloaded: 1234, verified: true });
    m.obtainFailed(ref, 'VERIFY_SIGNATURE');
    const text = await m.metrics();
    const labels =
      'provider="helloworld",plugin="hello",grpc_service="proto.PluginGreeting",grpc_method="Greeting"';
    assert.equal(
      line(text, `qplugin_grpc_client_handled_total{${labels},grpc_code="OK"}`).split(' ')[1],
      '2',
    );
    assert.equal(
      line(text, `qplugin_grpc_client_handled_total{${labels},grpc_code="Unavailable"}`).split(' ')[1],
      '1',
    );
    assert.equal(
      line(text, `qplugin_grpc_client_handling_seconds_bucket{le="0.00025",${labels}}`).split(' ')[1],
      '1',
    );
    assert.equal(
      line(text, `qplugin_grpc_client_handling_seconds_bucket{le="10",${labels}}`).split(' ')[1],
      '2',
    );
    assert.equal(line(text, `qplugin_grpc_client_handling_seconds_count{${labels}}`).split(' ')[1], '3');
    assert.equal(
      line(text, 'qplugin_jsonrpc_requests_total{method="plugin@helloworld_greeting"}').split(' ')[1],
      '2',
    );
    assert.equal(
      line(text, 'qplugin_jsonrpc_errors_total{method="plugin@helloworld_greeting",code="-32000"}').split(
        ' ',
      )[1],
      '1',
    );
    assert.equal(
      line(text, 'qplugin_jsonrpc_errors_total{method="(unknown)",code="-32601"}').split(' ')[1],
      '1',
    );
    assert.equal(
      line(text, 'qplugin_distribution_verified_total{provider="helloworld",plugin="hello"}').split(' ')[1],
      '1',
    );
    assert.equal(
      line(text, 'qplugin_distribution_downloaded_bytes_total{provider="helloworld",plugin="hello"}').split(
        ' ',
      )[1],
      '1234',
    );
    assert.equal(
      line(
        text,
        'qplugin_distribution_failures_total{provider="helloworld",plugin="hello",code="VERIFY_SIGNATURE"}',
      ).split(' ')[1],
      '1',
    );
    assert.ok(!text.includes('nodejs_'), 'runtime: false leaves the runtime metrics out');
  });

  it('escapes hostile plugin names in label values', async () => {
    const m = new HostMetrics({ runtime: false });
    const hostile = 'evil"} 1\nqplugin_fake 1 #\\';
    m.call({ ...ref, plugin: hostile }, { method: '/a.B/C', code: 0, durationMs: 1 });
    const text = await m.metrics();
    assert.ok(!text.split('\n').some((l) => l.startsWith('qplugin_fake')), 'no injected sample line');
    assert.match(text, /plugin="evil\\"} 1\\nqplugin_fake 1 #\\\\"/);
  });

  it('registers into a registry it is given; the runtime metrics by default', async () => {
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    const m = new HostMetrics({ registry });
    assert.equal(m.registry, registry);
    const text = await registry.metrics();
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    assert.match(text, /^# TYPE qplugin_plugin_up gauge$/m);
    assert.throws(() => new HostMetrics({ registry, runtime: false }), /already been registered/);
  });
});

describe('distribution metrics from a real manager', () => {
  let central: FakeCentral;
  const dir = scratch('qp-obs-dist-');
  before(async () => {
    central = await startFakeCentral(dir);
  });
  after(() => central.close());

  it('bytes downloaded from Plugin Central, then a verification failure by its code', async () => {
    const baseDir = join(dir, 'plugins');
    const settingsFile = join(dir, 'settings.json');
    writeFileSync(
      settingsFile,
      JSON.stringify({
        baseDir,
        central: {
          baseURL: central.http.url,
          pluginDistPathTemplate:
            'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}.zip',
          pluginSigPathTemplate:
            'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}-sha256.checksum.asc',
          publicKeyURI: 'gpg.key',
        },
        providers: { helloworld: { name: 'quorum-plugin-hello-world', version: '1.0.0' } },
      }),
    );
    const settings = await loadSettings(`file://${settingsFile}`);
    const platform = { os: 'linux', arch: 'amd64' } as const;
    const metrics = new HostMetrics({ runtime: false });
    const downloading = createPluginManager({
      settings,
      verification: 'skip',
      platform,
      observer: metrics,
      workspaceRoot: dir,
      client: { startTimeoutMs: 5000 },
    });
    metrics.attach(downloading);
    // The fixture zip is no runnable plugin: the start fails after the download.
    await assert.rejects(downloading.start());
    let text = await metrics.metrics();
    const labels = 'provider="helloworld",plugin="quorum-plugin-hello-world"';
    assert.equal(
      line(text, `qplugin_distribution_downloaded_bytes_total{${labels}}`).split(' ')[1],
      String(central.zip.length),
    );
    assert.equal(line(text, `qplugin_plugin_up{${labels}}`).split(' ')[1], '0');
    assert.equal(line(text, `qplugin_plugin_state{${labels},state="failed"}`).split(' ')[1], '1');

    const verifying = createPluginManager({
      settings,
      verification: 'local',
      platform,
      observer: metrics,
      workspaceRoot: dir,
    });
    await assert.rejects(
      verifying.start(),
      (e: unknown) => (e as { code?: string }).code === 'VERIFY_MATERIAL',
    );
    text = await metrics.metrics();
    assert.equal(
      line(text, `qplugin_distribution_failures_total{${labels},code="VERIFY_MATERIAL"}`).split(' ')[1],
      '1',
    );
    assert.ok(!text.includes('qplugin_distribution_verified_total{'), 'nothing verified');
  });
});

describe('the metrics listener', () => {
  let server: MetricsServer;
  const metrics = new HostMetrics({ runtime: false });
  before(async () => {
    server = await startMetricsServer({ metrics, port: 0, sampleMs: 0 });
  });
  after(() => server.close());

  it('binds 127.0.0.1 by default', () => assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/));

  it('serves the exposition, health, the page with its CSP, and its JSON', async () => {
    const scrape = await fetch(`${server.url}/debug/metrics/prometheus`);
    assert.equal(scrape.status, 200);
    assert.match(await scrape.text(), /^# HELP qplugin_plugin_up /m);
    const health = await fetch(`${server.url}/healthz`);
    assert.deepEqual([health.status, await health.text()], [200, 'ok\n']);
    // Without an attached manager nothing has started: not ready.
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { ready: false, draining: false, notReady: [] });
    for (const path of ['/debug/plugins', '/debug/plugins/']) {
      const page = await fetch(`${server.url}${path}`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('content-security-policy'), STATUS_PAGE_CSP);
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      const html = await page.text();
      assert.ok(
        !/https?:\/\//.test(html.replace('http://www.w3.org/2000/svg', '')),
        'no outside URL in the page',
      );
    }
    const status = await fetch(`${server.url}/debug/plugins/status`);
    assert.equal(status.headers.get('content-type'), 'application/json');
    const body = (await status.json()) as { ready: boolean; sampleMs: number; providers: unknown[] };
    assert.deepEqual([body.ready, body.sampleMs, body.providers], [false, 0, []]);
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    assert.deepEqual([head.status, await head.text()], [200, '']);
  });

  it('refuses other methods (405) and paths (404)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await fetch(`${server.url}/readyz`, { method });
      assert.deepEqual([r.status, r.headers.get('allow')], [405, 'GET, HEAD']);
    }
    for (const path of ['/', '/metrics', '/debug/plugins/x', '/debug/metrics/prometheus/../../etc/passwd'])
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
  });

  it('says draining once drain() is called', async () => {
    server.drain();
    const r = await fetch(`${server.url}/readyz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { ready: false, draining: true, notReady: [] });
  });

  it('fails to start on a port in use', async () => {
    const port = Number(new URL(server.url).port);
    await assert.rejects(
      startMetricsServer({ metrics, port }),
      (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE',
    );
  });
});
