/**
 * `qplugin run --metrics`: flags refused when wrong; a run with a TS plugin
 * (account) and a Go plugin (hello world, go-plugin v1.2.2) scraped at
 * /debug/metrics/prometheus (plugin, gRPC, JSON-RPC and runtime metrics;
 * restarts and exit status after a kill -9), /healthz, /readyz (503 naming
 * the provider that is down), and no config value anywhere.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { expectNoProcesses } from '@qplugin/go-plugin/testing';

import { GO_DIR, goSkip, HELLO_MAIN, qplugin, REPO, scratch, show } from '../support/cli.js';
import { poll, rpc, startRun } from '../support/run.js';
import type { Run } from '../support/run.js';

const ACCOUNT_MAIN = join(REPO, 'examples', 'account', 'dist', 'src', 'main.js');
/** A config value that must never be shown by the metrics listener. */
const SECRET = 'tok-3f9c2a71e5b84d06-never-shown';

interface Fetched {
  status: number;
  type: string | null;
  body: string;
}

async function get(url: string): Promise<Fetched> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** `name{labels} value` lines of a scrape (no comments). */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

function value(text: string, name: string, labels: string): number {
  const line = samples(text, name).find((l) => l.startsWith(`${name}{${labels}}`));
  assert.ok(line, `${name}{${labels}} in the scrape:\n${samples(text, name).join('\n')}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function pack(baseDir: string, name: string, args: string[]): Promise<void> {
  const packed = await qplugin(['pack', '--name', name, '--version', '1.0.0', ...args, '--out', baseDir]);
  assert.equal(packed.code, 0, show(packed));
}

function metricsUrl(run: Run): string {
  const url = run.ready.metrics;
  assert.equal(typeof url, 'string', `--json names the metrics URL: ${JSON.stringify(run.ready)}`);
  return url as string;
}

describe('qplugin run --metrics', () => {
  for (const [args, message] of [
    [['--metrics', '--metrics.port', '8545'], '--metrics.port 8545 is the JSON-RPC port (--http.port)'],
    [['--metrics', '--metrics.port', 'x'], '--metrics.port must be a port number, not x'],
    [['--metrics', '--metrics.port', '70000'], '--metrics.port must be a port number, not 70000'],
    [['--metrics', '--metrics.addr', ''], '--metrics.addr must not be empty'],
  ] as const) {
    it(`refuses ${args.join(' ')}`, async () => {
      const ran = await qplugin(['run', '--plugins', 'file:///nowhere.json', ...args]);
      assert.equal(ran.code, 2, show(ran));
      assert.ok(ran.stderr.startsWith(`qplugin run: ${message}`), show(ran));
    });
  }

  it('fails (exit 1, CLI_SYSTEM) when the metrics port is taken, before any plugin starts', async () => {
    const { createServer } = await import('node:net');
    const busy = createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const port = (busy.address() as { port: number }).port;
    try {
      const ran = await qplugin([
        'run',
        '--plugins',
        'file:///nowhere.json',
        '--metrics',
        '--metrics.port',
        String(port),
        '--json',
      ]);
      assert.equal(ran.code, 1, show(ran));
      const out = JSON.parse(ran.stdout) as { ok: boolean; error: { code: string; message: string } };
      assert.equal(out.error.code, 'CLI_SYSTEM');
      assert.match(out.error.message, /EADDRINUSE/);
    } finally {
      busy.close();
    }
  });

  const skip = goSkip();
  it('a TS and a Go plugin: scrape, health, readiness, restarts after kill -9', { skip }, async (t) => {
    const dir = scratch('qp-cli-metrics-');
    const baseDir = join(dir, 'plugins');
    mkdirSync(baseDir);
    execFileSync('bash', [join(GO_DIR, 'build.sh'), 'v1.2.2'], { stdio: ['ignore', 'inherit', 'inherit'] });
    await pack(baseDir, 'go-hello', [
      '--executable',
      join(GO_DIR, 'bin', 'v1.2.2', 'plugin'),
      '--entrypoint',
      'helloworld',
    ]);
    await pack(baseDir, 'ts-account', ['--entry', ACCOUNT_MAIN]);
    const settings = join(dir, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        baseDir,
        providers: {
          helloworld: { name: 'go-hello', version: '1.0.0', config: { language: 'en', apiToken: SECRET } },
          account: { name: 'ts-account', version: '1.0.0', config: {} },
        },
      }),
    );
    const run = await startRun(settings, dir, [
      '--http.api',
      'admin,plugin@helloworld,plugin@account',
      '--metrics',
      '--metrics.port',
      '0',
    ]);
    try {
      const base = metricsUrl(run);
      assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, 'loopback by default');
      assert.notEqual(base, run.url);

      const health = await get(`${base}/healthz`);
      assert.deepEqual([health.status, health.body], [200, 'ok\n']);
      const ready = await get(`${base}/readyz`);
      assert.equal(ready.status, 200, ready.body);
      assert.deepEqual(JSON.parse(ready.body), { ready: true, draining: false, notReady: [] });

      for (let i = 0; i < 5; i++)
        assert.equal((await rpc(false, run.url, 'plugin@helloworld_greeting', ['x'])).result, 'Hello x!');
      const created = await rpc(false, run.url, 'plugin@account_newAccount', [{ passphrase: 'pw' }]);
      assert.ok(created.result, JSON.stringify(created));
      const bad = await rpc(false, run.url, 'plugin@account_importRawKey', ['zz', {}]);
      assert.ok(bad.error);
      await rpc(false, run.url, 'no_such<method>', []);

      const scrape = await get(`${base}/debug/metrics/prometheus`);
      assert.equal(scrape.status, 200);
      assert.match(scrape.type ?? '', /^text\/plain; version=0\.0\.4/);
      const m = scrape.body;
      const hello = 'provider="helloworld",plugin="go-hello"';
      const account = 'provider="account",plugin="ts-account"';
      for (const p of [hello, account]) {
        assert.equal(value(m, 'qplugin_plugin_up', p), 1);
        assert.equal(value(m, 'qplugin_plugin_state', `${p},state="ready"`), 1);
        assert.equal(value(m, 'qplugin_plugin_state', `${p},state="failed"`), 0);
        assert.ok(value(m, 'qplugin_plugin_process_resident_memory_bytes', p) > 1024 * 1024);
        assert.ok(value(m, 'qplugin_plugin_process_cpu_seconds_total', p) >= 0);
        assert.equal(value(m, 'qplugin_plugin_start_duration_seconds_count', `${p},reason="start"`), 1);
        assert.equal(
          value(
            m,
            'qplugin_grpc_client_handled_total',
            `${p},grpc_service="proto_common.PluginInitializer",grpc_method="Init",grpc_code="OK"`,
          ),
          1,
        );
      }
      assert.equal(value(m, 'qplugin_plugin_info', `${hello},version="1.0.0"`), 1);
      assert.equal(
        value(
          m,
          'qplugin_grpc_client_handled_total',
          `${hello},grpc_service="proto.PluginGreeting",grpc_method="Greeting",grpc_code="OK"`,
        ),
        5,
      );
      assert.equal(
        value(
          m,
          'qplugin_grpc_client_handling_seconds_count',
          `${hello},grpc_service="proto.PluginGreeting",grpc_method="Greeting"`,
        ),
        5,
      );
      assert.equal(
        value(
          m,
          'qplugin_grpc_client_handling_seconds_bucket',
          `le="10",${hello},grpc_service="proto.PluginGreeting",grpc_method="Greeting"`,
        ),
        5,
      );
      assert.equal(value(m, 'qplugin_jsonrpc_requests_total', 'method="plugin@helloworld_greeting"'), 5);
      assert.equal(
        value(m, 'qplugin_jsonrpc_request_duration_seconds_count', 'method="plugin@helloworld_greeting"'),
        5,
      );
      // A rejected key: geth's check answers before the plugin is called.
      assert.equal(
        value(m, 'qplugin_jsonrpc_errors_total', 'method="plugin@account_importRawKey",code="-32000"'),
        1,
      );
      // A method the gateway does not serve: its (hostile) name stays out of the labels.
      assert.equal(value(m, 'qplugin_jsonrpc_errors_total', 'method="(unknown)",code="-32601"'), 1);
      assert.ok(!m.includes('no_such'));
      assert.equal(
        value(
          m,
          'qplugin_grpc_client_handled_total',
          `${account},grpc_service="proto.AccountService",grpc_method="NewAccount",grpc_code="OK"`,
        ),
        1,
      );
      for (const runtime of [
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
        'process_resident_memory_bytes',
      ])
        assert.equal(samples(m, runtime).length, 1, `${runtime} in the scrape`);
      assert.match(m, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
      assert.ok(!m.includes(SECRET), 'no config value in the scrape');
      t.diagnostic(
        `scrape (qplugin_ lines, buckets left out):\n${m
          .split('\n')
          .filter((l) => l.startsWith('qplugin_') && !l.includes('_bucket{'))
          .join('\n')}`,
      );

      // kill -9 the Go plugin: restarted (default policy), counted, its exit status kept.
      const before = JSON.parse((await get(`${base}/debug/plugins/status`)).body) as {
        providers: { provider: string; pid: number; state: string; restarts: number }[];
      };
      const goPid = before.providers.find((p) => p.provider === 'helloworld')!.pid;
      process.kill(goPid, 'SIGKILL');
      await poll(
        async () => {
          const s = JSON.parse((await get(`${base}/debug/plugins/status`)).body) as typeof before;
          const h = s.providers.find((p) => p.provider === 'helloworld')!;
          return h.state === 'ready' && h.restarts === 1 && h.pid !== goPid;
        },
        30_000,
        'the Go plugin restarted',
      );
      const after = (await get(`${base}/debug/metrics/prometheus`)).body;
      assert.equal(value(after, 'qplugin_plugin_restarts_total', `${hello},reason="crash"`), 1);
      assert.equal(value(after, 'qplugin_plugin_last_exit_status', hello), 128 + 9);
      assert.equal(value(after, 'qplugin_plugin_start_duration_seconds_count', `${hello},reason="crash"`), 1);
      assert.equal(value(after, 'qplugin_plugin_up', hello), 1);

      for (const path of ['/readyz', '/debug/plugins/status', '/debug/plugins'])
        assert.ok(!(await get(`${base}${path}`)).body.includes(SECRET), `no config value at ${path}`);
      assert.equal((await get(`${base}/nope`)).status, 404);
      const post = await fetch(`${base}/debug/metrics/prometheus`, { method: 'POST' });
      assert.deepEqual([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
    } finally {
      run.child.kill('SIGTERM');
      await once(run.child, 'exit');
    }
    assert.equal(run.child.exitCode, 0, run.stderr());
    await expectNoProcesses(dir);
  });

  it('/readyz answers 503 naming the provider that is down (--plugins.restart never)', async () => {
    const dir = scratch('qp-cli-readyz-');
    const baseDir = join(dir, 'plugins');
    mkdirSync(baseDir);
    await pack(baseDir, 'hello', ['--entry', HELLO_MAIN]);
    const settings = join(dir, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        baseDir,
        providers: { helloworld: { name: 'hello', version: '1.0.0', config: { language: 'en' } } },
      }),
    );
    const run = await startRun(settings, dir, [
      '--plugins.restart',
      'never',
      '--metrics',
      '--metrics.port',
      '0',
    ]);
    try {
      const base = metricsUrl(run);
      const status = JSON.parse((await get(`${base}/debug/plugins/status`)).body) as {
        providers: { pid: number }[];
      };
      process.kill(status.providers[0]!.pid, 'SIGKILL');
      await poll(async () => (await get(`${base}/readyz`)).status === 503, 30_000, '/readyz to say 503');
      const r = await get(`${base}/readyz`);
      assert.equal(r.type, 'application/json');
      assert.deepEqual(JSON.parse(r.body), {
        ready: false,
        draining: false,
        notReady: [
          {
            provider: 'helloworld',
            plugin: 'hello',
            state: 'failed',
            error: 'restart policy never (last: killed by SIGKILL)',
          },
        ],
      });
      const m = (await get(`${base}/debug/metrics/prometheus`)).body;
      assert.equal(value(m, 'qplugin_plugin_up', 'provider="helloworld",plugin="hello"'), 0);
      assert.equal(
        value(m, 'qplugin_plugin_state', 'provider="helloworld",plugin="hello",state="failed"'),
        1,
      );
      assert.equal(
        samples(m, 'qplugin_plugin_process_resident_memory_bytes').length,
        0,
        'no process, no memory',
      );
      // Calls to a failed provider fail in the supervisor and are counted there.
      await rpc(false, run.url, 'plugin@helloworld_greeting', ['x']);
      const m2 = (await get(`${base}/debug/metrics/prometheus`)).body;
      assert.equal(
        value(
          m2,
          'qplugin_grpc_client_handled_total',
          'provider="helloworld",plugin="hello",grpc_service="proto.PluginGreeting",grpc_method="Greeting",grpc_code="Unavailable"',
        ),
        1,
      );
      assert.equal(
        value(m2, 'qplugin_jsonrpc_errors_total', 'method="plugin@helloworld_greeting",code="-32000"'),
        1,
      );
    } finally {
      run.child.kill('SIGTERM');
      await once(run.child, 'exit');
    }
    assert.equal(run.child.exitCode, 0, run.stderr());
  });
});
