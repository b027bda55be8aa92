/**
 * The host check's judgements on given observations: the paths the real
 * hosts of the other tests do not take (odd environments and certificates, a
 * host that hangs, a probe killed before it could report).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { generateCertificate } from '@qplugin/go-plugin/internal';

import type { Hello, ProbeEvent, ProbeEventInput, ScenarioName } from '../../src/host-check/messages.js';
import { scriptFor } from '../../src/host-check/messages.js';
import {
  envPoint,
  hostCertificatePoint,
  ioPoint,
  launchPoint,
  servicesPoint,
  shutdownPoint,
  tlsPoint,
} from '../../src/host-check/normal-points.js';
import { describeDeath, describeHost, fate, hostError } from '../../src/host-check/observations.js';
import { RunRecord } from '../../src/host-check/report-server.js';
import type { Launch } from '../../src/host-check/report-server.js';
import type { ScenarioRun } from '../../src/host-check/scenario-run.js';
import {
  hostStopPoint,
  hungPoint,
  missingServicesPoint,
  refusalPoint,
  slowStartPoint,
  verifiesPoint,
} from '../../src/host-check/scenario-points.js';
import type { Point } from '../../src/points.js';
import type { HostProfile } from '../../src/presets.js';

const HOST_PID = 1000;
const T0 = 1_700_000_000_000;
const scratch = mkdtempSync(join(tmpdir(), 'qp-points-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function hello(over: Partial<Hello> = {}, env: Record<string, string> = {}): Hello {
  return {
    type: 'hello',
    run: 'r',
    pid: 2000,
    ppid: HOST_PID,
    pgid: HOST_PID,
    startedAt: T0,
    startTicks: 1,
    argv: [],
    env: {
      PLUGIN_PROTOCOL_VERSIONS: '1',
      PLUGIN_MIN_PORT: '10000',
      PLUGIN_MAX_PORT: '25000',
      K: 'v',
      ...env,
    },
    cwd: '/',
    fds: ['pipe:[1]', 'pipe:[2]', 'pipe:[3]'],
    ancestors: [],
    ...over,
  };
}

const at = (t: number, e: ProbeEventInput): ProbeEvent => ({ t: T0 + t, ...e }) as ProbeEvent;

function launch(
  h: Hello,
  events: ProbeEvent[] = [],
  closedAt?: number,
  scenario: ScenarioName = 'normal',
): Launch {
  return {
    hello: h,
    script: scriptFor(scenario, 2000),
    events,
    ...(closedAt !== undefined ? { closedAt: T0 + closedAt } : {}),
  };
}

function run(scenario: ScenarioName, launches: Launch[], over: Partial<ScenarioRun> = {}): ScenarioRun {
  const record = new RunRecord(scenario, () => undefined);
  record.launches.push(...launches);
  return {
    scenario,
    record,
    hostEnv: {},
    host: {
      pid: HOST_PID,
      startedAt: T0,
      stdinLink: 'pipe:[1]',
      exit: { code: 0, signal: null },
      exitedAt: T0 + 100,
      stdout: [],
      stderr: [],
    },
    stops: [],
    leftProbes: [],
    leftChildren: [],
    leftSocketDirs: [],
    launchedPids: launches.map((l) => l.hello.pid),
    timedOut: false,
    ...over,
  };
}

const finding = (p: Point, rule: string) => p.findings.find((f) => f.rule === rule);
const PROFILE: HostProfile = {
  host: 'the host',
  cookie: { key: 'K', value: 'v' },
  protocolVersions: [5, 6],
  autoMTLS: true,
};

describe('host check points: launch and environment', () => {
  it('a probe started but gone before it reported: a start timeout too short', () => {
    const p = launchPoint(
      run('normal', [], {
        launchedPids: [4242],
        host: { ...run('normal', []).host, exit: { code: 1, signal: null }, stdout: ['error: timeout'] },
      }),
      undefined,
    );
    assert.equal(p.status, 'fail');
    assert.match(
      finding(p, 'HS-9')!.detail,
      /started the probe \(pid 4242\) but it was gone before it could report.*exit status 1; it said "error: timeout"/,
    );
  });

  it('stdout or stderr not on a pipe; a shell between host and probe is named', () => {
    const noPipe = launchPoint(
      run('normal', []),
      launch(hello({ fds: ['pipe:[1]', '/dev/null', 'socket:[9]'] })),
    );
    assert.equal(noPipe.status, 'fail');
    assert.match(
      finding(noPipe, 'ENV-1')!.detail,
      /the plugin's stdout is \/dev\/null, not a pipe the host reads/,
    );
    const shell = launchPoint(
      run('normal', []),
      launch(
        hello({
          ppid: 1500,
          pgid: 2000,
          ancestors: [{ pid: 1500, exe: '/usr/bin/dash', cmdline: 'sh -c ./p' }],
          fds: [null, 'pipe:[2]', 'pipe:[3]'],
        }),
      ),
    );
    assert.match(
      shell.result(1).detail,
      /started through dash \("sh -c \.\/p"\), in a process group of its own .*; stdin closed/,
    );
  });

  it('the cookie, versions and ports judged against a profile', () => {
    const l = launch(hello({}, { K: 'wrong', PLUGIN_PROTOCOL_VERSIONS: '1,2' }));
    delete l.hello.env.PLUGIN_MIN_PORT;
    const p = envPoint(run('normal', [l]), l, PROFILE);
    assert.match(finding(p, 'ENV-2')!.detail, /K="wrong" is not the expected cookie/);
    assert.match(finding(p, 'ENV-3')!.detail, /PLUGIN_PROTOCOL_VERSIONS=1,2 has none of 5,6/);
    assert.equal(finding(p, 'ENV-4')!.status, 'warn');
    assert.match(finding(p, 'ENV-5')!.detail, /no PLUGIN_CLIENT_CERT, but the host uses AutoMTLS/);
    const none = launch(hello());
    delete none.hello.env.PLUGIN_PROTOCOL_VERSIONS;
    assert.match(
      finding(envPoint(run('normal', [none]), none, undefined), 'ENV-3')!.detail,
      /^no PLUGIN_PROTOCOL_VERSIONS$/,
    );
    const good = launch(hello({}, { PLUGIN_PROTOCOL_VERSIONS: '6,5' }));
    assert.equal(
      finding(envPoint(run('normal', [good]), good, { ...PROFILE, autoMTLS: false }), 'ENV-3')!.status,
      'pass',
    );
  });

  it('socket directory and group', () => {
    const env = { PLUGIN_UNIX_SOCKET_DIR: '/somewhere', PLUGIN_UNIX_SOCKET_GROUP: 'qplugin-no-such-group' };
    const missing = launch(hello({ socketDir: { isDirectory: false, mode: 0, writable: false } }, env));
    const p = envPoint(run('normal', [missing]), missing, undefined);
    assert.match(
      p.findings
        .filter((f) => f.rule === 'ENV-7')
        .map((f) => f.detail)
        .join('|'),
      /"\/somewhere" is not a directory\|PLUGIN_UNIX_SOCKET_GROUP="qplugin-no-such-group": /,
    );
    const readOnly = launch(
      hello(
        { socketDir: { isDirectory: true, mode: 0o500, writable: false } },
        { PLUGIN_UNIX_SOCKET_DIR: '/ro', PLUGIN_UNIX_SOCKET_GROUP: '0' },
      ),
    );
    const q = envPoint(run('normal', [readOnly]), readOnly, undefined);
    assert.match(
      q.findings
        .filter((f) => f.rule === 'ENV-7')
        .map((f) => `${f.status} ${f.detail}`)
        .join('|'),
      /^fail .*"\/ro" is not writable by the plugin\|pass PLUGIN_UNIX_SOCKET_GROUP=0$/,
    );
  });
});

const noOpenssl = spawnSync('openssl', ['version']).status === 0 ? false : 'skipped: openssl is not on PATH';

function opensslPem(name: string, extensions: string[]): string {
  const [key, cert, config] = ['key', 'pem', 'cnf'].map((x) => join(scratch, `${name}.${x}`)) as [
    string,
    string,
    string,
  ];
  writeFileSync(
    config,
    ['[req]', 'distinguished_name=dn', 'x509_extensions=v3', '[dn]', '[v3]', ...extensions].join('\n') + '\n',
  );
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '2',
      '-keyout',
      key,
      '-out',
      cert,
      '-config',
      config,
    ],
    { stdio: 'ignore' },
  );
  return readFileSync(cert, 'utf8');
}

describe('host check points: the host certificate and TLS', () => {
  const withCert = (pem: string): Launch => launch(hello({}, { PLUGIN_CLIENT_CERT: pem }));

  it('not one PEM block, not a certificate, expired; a P-256 one passes with a note', async () => {
    const a = await generateCertificate({ curve: 'P-256' });
    assert.match(
      finding(hostCertificatePoint(withCert(a.pem + a.pem)), 'TLS-2')!.detail,
      /holds 2 CERTIFICATE blocks, not 1/,
    );
    assert.match(
      finding(
        hostCertificatePoint(withCert('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')),
        'TLS-2',
      )!.detail,
      /does not parse/,
    );
    const old = await generateCertificate({ curve: 'P-256', now: new Date('1990-01-01') });
    assert.match(finding(hostCertificatePoint(withCert(old.pem)), 'TLS-1')!.detail, /^not valid now/);
    const ok = hostCertificatePoint(withCert(a.pem));
    assert.equal(ok.status, 'pass');
    assert.match(
      ok.result(1).detail,
      /ECDSA P-256 \(go-plugin uses P-521; fine for any plugin that accepts its signature scheme\)/,
    );
    assert.equal(hostCertificatePoint(launch(hello())).status, 'skip');
  });

  it('extended key usage and name', { skip: noOpenssl }, () => {
    const serverOnly = hostCertificatePoint(withCert(opensslPem('server', ['extendedKeyUsage=serverAuth'])));
    assert.equal(finding(serverOnly, 'TLS-1')!.status, 'fail');
    assert.match(finding(serverOnly, 'TLS-1')!.detail, /lacks clientAuth/);
    assert.match(finding(serverOnly, 'TLS-7')!.detail, /no DNS:localhost in the subjectAltName/);
    const clientOnly = hostCertificatePoint(
      withCert(opensslPem('client', ['extendedKeyUsage=clientAuth', 'subjectAltName=DNS:localhost'])),
    );
    assert.equal(clientOnly.status, 'warn');
    assert.match(clientOnly.result(1).detail, /lacks serverAuth: brokered servers of the host cannot use it/);
  });

  it('TLS failing for another reason than signature schemes; no connection at all', async () => {
    const a = await generateCertificate({ curve: 'P-256' });
    const failed = withCert(a.pem);
    failed.events.push(
      at(5, {
        kind: 'tls-error',
        message:
          'C0:error:0A000086:SSL routines:tls_post_process_client_certificate:certificate verify failed:../ssl.c:1',
      }),
    );
    const p = tlsPoint(failed);
    assert.deepEqual(p.result(1).rules, ['TLS-4']);
    assert.equal(p.result(1).detail, 'every TLS handshake failed: certificate verify failed');
    assert.equal(tlsPoint(withCert(a.pem)).status, 'skip');
    assert.equal(tlsPoint(launch(hello())).status, 'skip');
  });
});

describe('host check points: calls, output, stopping', () => {
  const call = (t: number, path: string): ProbeEvent =>
    at(t, { kind: 'call', path, authority: 'unused', userAgent: 'x', timeout: null });

  it('StreamStdio opened three times in a normal run', () => {
    const l = launch(hello(), [
      call(1, '/plugin.GRPCStdio/StreamStdio'),
      call(2, '/plugin.GRPCStdio/StreamStdio'),
      call(3, '/plugin.GRPCStdio/StreamStdio'),
    ]);
    assert.match(
      finding(servicesPoint(run('normal', [l]), l, undefined), 'SVC-5')!.detail,
      /opened GRPCStdio\.StreamStdio 3 times: go-plugin opens it once/,
    );
  });

  it('a write error on stdout warns; a probe stopped soon after its handshake cannot tell', () => {
    const l = launch(
      hello(),
      [
        at(1, { kind: 'handshake', line: '1|1|unix|/s|grpc|' }),
        at(2, { kind: 'error', message: 'writing stdout: EPIPE: broken pipe, write' }),
      ],
      500,
    );
    const p = ioPoint(run('normal', [l]), l);
    assert.equal(p.status, 'warn');
    assert.match(p.result(1).detail, /the plugin could not write its stdout: EPIPE: broken pipe, write/);
    assert.match(
      p.findings.map((f) => f.detail).join('|'),
      /stderr: the probe was stopped before it could tell/,
    );
  });

  it('a host terminated by the check that leaves its plugin: LC-7 warning', () => {
    const l = launch(hello());
    const r = run('normal', [l], {
      stops: [{ signal: 'SIGTERM', at: T0 + 10, why: 'idle for 5 s' }],
      host: { ...run('normal', []).host, exit: { code: null, signal: 'SIGTERM' } },
    });
    l.leftRunning = true;
    const p = shutdownPoint(r, l);
    assert.equal(p.status, 'warn');
    assert.match(
      finding(p, 'LC-7')!.detail,
      /the host was terminated and left its plugin running \(the check stopped the host with SIGTERM: idle for 5 s\)/,
    );
  });

  it('a host still running with a refused plugin still running; a hung plugin not killed', () => {
    const alive = { ...run('normal', []).host, exit: undefined, exitedAt: undefined };
    const refused = launch(
      hello(),
      [at(10, { kind: 'handshake', line: '1|2|unix|/s|grpc|' })],
      undefined,
      'bad-version',
    );
    refused.leftRunning = true;
    const r = refusalPoint(run('bad-version', [refused], { host: alive, timedOut: true }));
    assert.match(
      finding(r, 'LC-5')!.detail,
      /the host neither connected nor stopped the plugin \(still running when the run timed out\)/,
    );
    const hung = launch(hello(), [at(20, { kind: 'shutdown', deadlineMs: null })], undefined, 'hung');
    hung.leftRunning = true;
    assert.match(
      finding(hungPoint(run('hung', [hung], { host: alive })), 'LC-1')!.detail,
      /the host did not kill a plugin that answered Shutdown but kept running \(still running\)/,
    );
  });

  it('skips: no launch, no TLS, a host that finished before the check could terminate it', () => {
    assert.equal(slowStartPoint(run('slow-start', []), 2000).status, 'skip');
    assert.equal(verifiesPoint(run('wrong-cert', []), true).status, 'skip');
    assert.equal(verifiesPoint(run('wrong-cert', [launch(hello())]), false).status, 'skip');
    assert.equal(missingServicesPoint(run('missing-services', []), undefined).status, 'skip');
    assert.equal(hungPoint(run('hung', [])).status, 'skip');
    const stop = hostStopPoint(run('host-stop', [launch(hello(), [], 50)]));
    assert.equal(stop.status, 'skip');
    assert.match(
      stop.result(1).detail,
      /the host finished \(exit status 0\) before the check could terminate it/,
    );
  });
});

describe('host check observations', () => {
  it('how a probe ended and how the host did', () => {
    const killed = launch(hello(), [at(1, { kind: 'signal', signal: 'SIGTERM' })], 2100);
    assert.equal(
      describeDeath(fate(killed), { at: T0 + 100, what: 'Shutdown' }),
      'was killed (SIGKILL: no catchable signal ended it) 2000 ms after Shutdown; SIGTERM came first and was ignored',
    );
    const exited = launch(hello(), [at(1, { kind: 'exiting', reason: 'SIGTERM' })], 5);
    assert.equal(describeDeath(fate(exited)), 'exited on SIGTERM');
    const r = run('normal', [], {
      stops: [{ signal: 'SIGTERM', at: T0, why: 'idle for 5 s' }],
      host: { ...run('normal', []).host, exit: { code: 3, signal: null } },
    });
    assert.equal(describeHost(r), "exit status 3 after the check's SIGTERM (idle for 5 s)");
  });

  it("the host's error: JSON error fields, first matching stdout line, else the last on stderr", () => {
    const base = run('normal', []).host;
    assert.equal(
      hostError(
        run('normal', [], {
          host: {
            ...base,
            stdout: [
              '{"step":"start","ok":false,"error":"Unrecognized remote plugin message: x\\nThis usually means"}',
            ],
          },
        }),
      ),
      'Unrecognized remote plugin message: x',
    );
    assert.equal(
      hostError(run('normal', [], { host: { ...base, stdout: ['ok', 'error: one', 'error: two'] } })),
      'error: one',
    );
    assert.equal(
      hostError(
        run('normal', [], {
          host: { ...base, stderr: ['[WARN] failed a', 'flood error', '[ERROR] failed b'] },
        }),
      ),
      '[ERROR] failed b',
    );
    assert.equal(hostError(run('normal', [])), undefined);
  });
});
