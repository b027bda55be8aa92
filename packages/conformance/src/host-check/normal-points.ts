/**
 * What the `normal` run tells about a host: how it launches a plugin, the
 * environment it gives it, the certificate it presents and how it does TLS,
 * the calls it makes, whether it keeps reading the plugin's output, and how
 * it stops it.
 */
import { X509Certificate } from 'node:crypto';
import { basename } from 'node:path';

import { inspectCertificate, lookupGid } from '@qplugin/go-plugin/internal';

import { olderThan } from '../go-buildinfo.js';
import { Point, quote } from '../points.js';
import type { HostProfile } from '../presets.js';
import { PROBE_LOG_MARKER } from './messages.js';
import {
  BROKER,
  HEALTH,
  SHUTDOWN,
  STDIO,
  callPaths,
  connected,
  describeDeath,
  describeHost,
  eventsOf,
  fate,
  firstOf,
  hostError,
  tlsReason,
} from './observations.js';
import type { Launch } from './report-server.js';
import type { ScenarioRun } from './scenario-run.js';
import { messageOf } from '@qplugin/go-plugin/protocol';

const isPipe = (link: string | null): boolean => link !== null && /^(pipe|socket):\[/.test(link);
const short = (v: string): string => (v.length > 24 ? `${v.slice(0, 16)}…(${v.length} chars)` : v);

export function launchPoint(run: ScenarioRun, launch: Launch | undefined): Point {
  const point = new Point('launch', 'how the host starts the plugin');
  if (!launch && run.launchedPids.length > 0) {
    return point.fail(
      'HS-9',
      `the host started the probe (pid ${run.launchedPids.join(', ')}) but it was gone before it could report, within a Node.js start-up (${describeHost(run)}${outputHint(run)}): a start timeout that short fails slow plugins`,
      'Give plugins time to start: wait for the handshake line as long as go-plugin does (1 minute by default).',
    );
  }
  if (!launch) {
    return point.fail(
      'ENV-1',
      `the host never started the probe (${describeHost(run)}${outputHint(run)})`,
      `Make the host start the probe: put {probe} where the host command takes the plugin path, or have the host read $QPLUGIN_PROBE (e.g. sh -c 'KV_PLUGIN="exec $QPLUGIN_PROBE" ./host').`,
    );
  }
  const { hello } = launch;
  const [stdin, stdout, stderr] = hello.fds;
  for (const [name, link] of [
    ['stdout', stdout],
    ['stderr', stderr],
  ] as const) {
    if (!isPipe(link ?? null))
      point.fail(
        'ENV-1',
        `the plugin's ${name} is ${link ?? 'closed'}, not a pipe the host reads`,
        `Start the plugin with its ${name} on a pipe and read it: the handshake comes on stdout, logs on stderr.`,
      );
  }
  if (point.status !== 'pass') return point;
  const parent =
    hello.ppid === run.host.pid
      ? 'started directly by the host'
      : `started through ${basename(hello.ancestors[0]?.exe ?? '?')} (${quote(hello.ancestors[0]?.cmdline ?? '', 60)})`;
  const group =
    hello.pgid === run.host.pid
      ? "in the host's process group (as go-plugin)"
      : hello.pgid === hello.pid
        ? 'in a process group of its own (so a kill can reach its children)'
        : `in process group ${hello.pgid}`;
  const input =
    stdin !== null && stdin === run.host.stdinLink
      ? 'stdin inherited from the host (as go-plugin)'
      : `stdin ${stdin ?? 'closed'}`;
  const times = run.record.launches.length > 1 ? `; started ${run.record.launches.length} times` : '';
  return point.pass('ENV-1', `${parent}, ${group}; stdout and stderr are pipes; ${input}${times}`);
}

const outputHint = (run: ScenarioRun): string => {
  const last =
    hostError(run) ?? [...run.host.stdout, ...run.host.stderr].filter((l) => l.trim() !== '').at(-1);
  return last ? `; it said ${quote(last, 200)}` : '';
};

/** What the host added to or changed in the environment it was given. */
export function addedEnv(run: ScenarioRun, launch: Launch): Record<string, string> {
  const added: Record<string, string> = {};
  for (const [k, v] of Object.entries(launch.hello.env))
    if (k !== 'QPLUGIN_PROBE' && run.hostEnv[k] !== v) added[k] = v;
  return added;
}

export function envPoint(run: ScenarioRun, launch: Launch, profile: HostProfile | undefined): Point {
  const point = new Point('env', 'environment the host sets');
  const env = launch.hello.env;
  const added = addedEnv(run, launch);

  if (profile) {
    const value = env[profile.cookie.key];
    if (value === undefined)
      point.fail(
        'ENV-2',
        `no ${profile.cookie.key} (the magic cookie)`,
        `Set ${profile.cookie.key}=<cookie value> for the plugin.`,
      );
    else if (value !== profile.cookie.value)
      point.fail(
        'ENV-2',
        `${profile.cookie.key}=${quote(short(value))} is not the expected cookie`,
        `Set ${profile.cookie.key} to the exact cookie value the plugins check.`,
      );
    else point.pass('ENV-2', `cookie ${profile.cookie.key} set`);
  } else {
    const candidates = Object.keys(added).filter((k) => !k.startsWith('PLUGIN_'));
    if (candidates.length === 0)
      point.fail(
        'ENV-2',
        'the host added no variable besides PLUGIN_*: no magic cookie',
        'Set the magic cookie variable (MagicCookieKey=MagicCookieValue) for the plugin.',
      );
    else
      point.pass(
        'ENV-2',
        `added ${candidates.map((k) => `${k}=${short(added[k]!)}`).join(', ')} (the cookie among them)`,
      );
  }

  const rawVersions = env.PLUGIN_PROTOCOL_VERSIONS;
  if (rawVersions === undefined) {
    point.fail(
      'ENV-3',
      'no PLUGIN_PROTOCOL_VERSIONS',
      'Set PLUGIN_PROTOCOL_VERSIONS to the app protocol versions the host speaks, e.g. 1 or 5,6.',
    );
  } else {
    const items = rawVersions.split(',');
    const bad = items.filter((s) => !/^\d+$/.test(s));
    const versions = items.filter((s) => /^\d+$/.test(s)).map(Number);
    if (bad.length > 0)
      point.fail(
        'ENV-3',
        `PLUGIN_PROTOCOL_VERSIONS=${quote(rawVersions)} has items that are not numbers: ${bad.map((b) => quote(b)).join(', ')}`,
        'List the versions as decimal numbers separated by commas, without spaces.',
      );
    else if (
      profile &&
      profile.protocolVersions.length > 0 &&
      !versions.some((v) => profile.protocolVersions.includes(v))
    )
      point.fail(
        'ENV-3',
        `PLUGIN_PROTOCOL_VERSIONS=${rawVersions} has none of ${profile.protocolVersions.join(',')}`,
        `Offer the versions its plugins speak (${profile.protocolVersions.join(',')}).`,
      );
    else point.pass('ENV-3', `PLUGIN_PROTOCOL_VERSIONS=${rawVersions}`);
  }

  const [min, max] = [env.PLUGIN_MIN_PORT, env.PLUGIN_MAX_PORT];
  if (min === undefined || max === undefined) {
    point.warn(
      'ENV-4',
      'no PLUGIN_MIN_PORT/PLUGIN_MAX_PORT: a TCP plugin (Windows, or by choice) takes any port',
      'Set PLUGIN_MIN_PORT and PLUGIN_MAX_PORT (go-plugin: 10000 and 25000).',
    );
  } else if (!/^\d+$/.test(min) || !/^\d+$/.test(max) || Number(min) > Number(max)) {
    point.fail(
      'ENV-4',
      `port range PLUGIN_MIN_PORT=${quote(min)} PLUGIN_MAX_PORT=${quote(max)} is not a range`,
      'Give two decimal ports, the minimum not above the maximum.',
    );
  } else point.pass('ENV-4', `ports ${min}-${max}`);

  const cert = env.PLUGIN_CLIENT_CERT;
  if (cert !== undefined) point.pass('ENV-5', 'PLUGIN_CLIENT_CERT (AutoMTLS)');
  else if (profile?.autoMTLS)
    point.fail(
      'ENV-5',
      `no PLUGIN_CLIENT_CERT, but ${profile.host} uses AutoMTLS`,
      'Turn AutoMTLS on: make a certificate per launch, pass its PEM in PLUGIN_CLIENT_CERT and dial with it.',
    );
  else point.pass('ENV-5', 'no PLUGIN_CLIENT_CERT: AutoMTLS off, plaintext gRPC');

  const mux = env.PLUGIN_MULTIPLEX_GRPC;
  if (mux !== undefined) {
    if (mux === 'true')
      point.pass('ENV-6', 'PLUGIN_MULTIPLEX_GRPC=true (multiplexed broker, go-plugin >= 1.6)');
    else
      point.warn(
        'ENV-6',
        `PLUGIN_MULTIPLEX_GRPC=${quote(mux)}: Go plugins append "|true" for any value but multiplex only when it parses as true`,
        'Set PLUGIN_MULTIPLEX_GRPC=true, or leave it out.',
      );
  }
  const dir = env.PLUGIN_UNIX_SOCKET_DIR;
  const found = launch.hello.socketDir;
  if (dir !== undefined) {
    if (!found?.isDirectory)
      point.fail(
        'ENV-7',
        `PLUGIN_UNIX_SOCKET_DIR=${quote(dir)} is not a directory`,
        'Create the directory before starting the plugin (go-plugin: mode 0700, or 0770 with a group).',
      );
    else if (!found.writable)
      point.fail(
        'ENV-7',
        `PLUGIN_UNIX_SOCKET_DIR=${quote(dir)} is not writable by the plugin`,
        'Make the directory writable by the plugin (its owner, or the group in PLUGIN_UNIX_SOCKET_GROUP).',
      );
    else
      point.pass('ENV-7', `PLUGIN_UNIX_SOCKET_DIR=${dir} (mode ${found.mode.toString(8).padStart(4, '0')})`);
  }
  const group = env.PLUGIN_UNIX_SOCKET_GROUP;
  if (group !== undefined) {
    try {
      lookupGid(group);
      point.pass('ENV-7', `PLUGIN_UNIX_SOCKET_GROUP=${group}`);
    } catch (err) {
      point.fail(
        'ENV-7',
        `PLUGIN_UNIX_SOCKET_GROUP=${quote(group)}: ${messageOf(err)}`,
        'Give a group name or gid that exists.',
      );
    }
  }
  return point;
}

/** DER of the PEM in PLUGIN_CLIENT_CERT, or why not. */
function hostCertificate(launch: Launch): { der?: Buffer; problem?: string } {
  const pem = launch.hello.env.PLUGIN_CLIENT_CERT ?? '';
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks !== 1) return { problem: `PLUGIN_CLIENT_CERT holds ${blocks} CERTIFICATE blocks, not 1` };
  try {
    return { der: new X509Certificate(pem).raw };
  } catch (err) {
    return { problem: `PLUGIN_CLIENT_CERT does not parse: ${messageOf(err)}` };
  }
}

export function hostCertificatePoint(launch: Launch): Point {
  const point = new Point('host-certificate', 'the certificate the host sends');
  if (launch.hello.env.PLUGIN_CLIENT_CERT === undefined)
    return point.skip('AutoMTLS off (no PLUGIN_CLIENT_CERT)');
  const { der, problem } = hostCertificate(launch);
  if (!der)
    return point.fail(
      'TLS-2',
      problem!,
      'Pass exactly one PEM CERTIFICATE block (with its newlines) in PLUGIN_CLIENT_CERT.',
    );
  const cert = new X509Certificate(der);
  const now = new Date();
  const report = inspectCertificate(cert, now);
  const key = cert.publicKey;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const keyText =
    key.asymmetricKeyType === 'ec'
      ? `ECDSA ${curve === 'secp521r1' ? 'P-521' : curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : curve}`
      : key.asymmetricKeyType === 'rsa'
        ? `RSA ${key.asymmetricKeyDetails?.modulusLength}`
        : String(key.asymmetricKeyType);
  if (!report.clientAuth)
    point.fail(
      'TLS-1',
      'extended key usage lacks clientAuth: plugins verifying client certificates refuse it',
      'Give the host certificate the clientAuth (and serverAuth) extended key usage.',
    );
  if (now < report.validFrom || now > report.validTo)
    point.fail(
      'TLS-1',
      `not valid now (${report.validFrom.toISOString()} to ${report.validTo.toISOString()})`,
      'Make a fresh certificate per launch, valid from a little before now (go-plugin: now - 30 s).',
    );
  if (!report.sanLocalhost)
    point.warn(
      'TLS-7',
      'no DNS:localhost in the subjectAltName: a plugin dialing a brokered server of the host verifies that name',
      'Add subjectAltName DNS:localhost (go-plugin uses one certificate for both roles).',
    );
  if (!report.serverAuth)
    point.warn(
      'TLS-7',
      'extended key usage lacks serverAuth: brokered servers of the host cannot use it',
      'Add serverAuth to the extended key usage.',
    );
  if (point.status === 'pass') {
    const note =
      curve === 'secp521r1'
        ? ' (as go-plugin)'
        : ' (go-plugin uses P-521; fine for any plugin that accepts its signature scheme)';
    point.pass(
      'TLS-1',
      `${keyText}${note}, SAN DNS:localhost, EKU serverAuth+clientAuth, valid until ${report.validTo.toISOString().slice(0, 10)}`,
    );
  }
  return point;
}

export function tlsPoint(launch: Launch): Point {
  const point = new Point('tls', 'how the host connects');
  const calls = eventsOf(launch, 'call');
  if (launch.hello.env.PLUGIN_CLIENT_CERT === undefined) {
    if (calls.length > 0 || firstOf(launch, 'connection'))
      return point.pass('TLS-5', 'plaintext HTTP/2 (no AutoMTLS)');
    return point.skip('the host never connected (see the services point)');
  }
  const tls = firstOf(launch, 'tls');
  const errors = eventsOf(launch, 'tls-error');
  if (!tls) {
    if (errors.length === 0) return point.skip('the host never connected (see the services point)');
    const message = errors[0]!.message;
    const scheme = /signature|sigalg|no shared/i.test(message);
    return point.fail(
      scheme ? 'TLS-6' : 'TLS-4',
      `every TLS handshake failed: ${tlsReason(message)}`,
      scheme
        ? "Accept ecdsa_secp521r1_sha512 in the ClientHello's signature_algorithms: go-plugin plugins present a P-521 certificate."
        : 'Present the certificate sent in PLUGIN_CLIENT_CERT, trust the one announced in the handshake, and verify it for the name localhost.',
    );
  }
  // The probe requires a client certificate chaining to PLUGIN_CLIENT_CERT, so one was presented.
  const { der } = hostCertificate(launch);
  const same =
    der !== undefined &&
    tls.peerCertificate !== null &&
    Buffer.from(tls.peerCertificate, 'base64').equals(der);
  if (tls.alpn !== 'h2')
    point.fail(
      'TLS-5',
      `ALPN ${tls.alpn || 'none'}: grpc-go >= 1.67 plugins refuse connections without h2`,
      'Offer ALPN h2 when dialing (grpc-go and node:http2 do).',
    );
  const p521 = tls.sharedSigalgs.some((s) => /secp521r1|ECDSA\+SHA512/i.test(s));
  if (point.status === 'pass')
    point.pass(
      'TLS-4',
      `${tls.protocol}, ALPN h2, SNI ${tls.servername ? quote(tls.servername) : 'none'}, presents ${same ? 'the certificate it sent' : 'a certificate the one it sent vouches for'}${p521 ? ', accepts ecdsa_secp521r1_sha512' : ''}`,
    );
  return point;
}

export function servicesPoint(run: ScenarioRun, launch: Launch, goPlugin: string | undefined): Point {
  const point = new Point('services', 'the calls the host makes');
  const calls = eventsOf(launch, 'call');
  if (calls.length === 0) {
    return point.fail(
      'SVC-5',
      `the host never called the probe (${connected(launch) ? 'it connected but made no call' : 'no connection'}; ${describeHost(run)})`,
      'After the handshake, dial the announced address and open GRPCBroker.StartStream and GRPCStdio.StreamStdio (go-plugin does both right away).',
    );
  }
  const paths = callPaths(launch);
  const count = (p: string): number => paths.filter((x) => x === p).length;
  const parts: string[] = [];
  parts.push(
    count(BROKER) > 0
      ? 'opened GRPCBroker.StartStream'
      : 'no broker stream (go-plugin hosts always open one)',
  );
  if (count(STDIO) > 0) parts.push('opened GRPCStdio.StreamStdio');
  else
    parts.push(
      olderThan(goPlugin, 'v1.1.0')
        ? `no GRPCStdio.StreamStdio (go-plugin ${goPlugin} predates it)`
        : 'no GRPCStdio.StreamStdio',
    );
  if (count(HEALTH) > 0) parts.push(`health Check x${count(HEALTH)}`);
  const app = [...new Set(paths.filter((p) => !/^\/(plugin|grpc)\./.test(p)))];
  if (app.length > 0) parts.push(`application calls ${app.join(', ')}`);
  if (count(SHUTDOWN) > 0) parts.push('GRPCController.Shutdown');
  const first = calls[0]!;
  parts.push(
    `:authority ${quote(first.authority)}, user-agent ${first.userAgent ? quote(first.userAgent, 60) : 'none'}`,
  );
  if (count(STDIO) > 2)
    point.fail(
      'SVC-5',
      `opened GRPCStdio.StreamStdio ${count(STDIO)} times: go-plugin opens it once`,
      'Open the stdio stream once, and stop when it ends.',
    );
  return point.pass('SVC-5', parts.join('; '));
}

const floodKiB = (launch: Launch): number => launch.script.floodBytes / 1024;

export function ioPoint(run: ScenarioRun, launch: Launch): Point {
  const point = new Point('io', "reading the plugin's stdout and stderr");
  const handshake = firstOf(launch, 'handshake');
  const floods = eventsOf(launch, 'flood');
  const f = fate(launch);
  const lived = handshake ? (f.at ?? Date.now()) - handshake.t : 0;
  const errors = eventsOf(launch, 'error');
  for (const stream of ['stdout', 'stderr'] as const) {
    const done = floods.find((e) => e.stream === stream);
    const error = errors.find((e) => e.message.startsWith(`writing ${stream}`));
    if (error)
      point.warn(
        'IO-1',
        `the plugin could not write its ${stream}: ${error.message.slice(`writing ${stream}: `.length)}`,
        `Keep the plugin's ${stream} open and read it for as long as the plugin runs.`,
      );
    else if (done)
      point.pass('IO-1', `${done.bytes / 1024} KiB on ${stream} after the handshake read in ${done.ms} ms`);
    else if (lived >= 3000)
      point.fail(
        'IO-1',
        `stopped reading the plugin's ${stream} after the handshake: ${floodKiB(launch)} KiB were not taken in ${Math.round(lived / 1000)} s, so a plugin that writes more than its pipe holds blocks forever`,
        `Keep reading the plugin's ${stream} for as long as it runs (discard what you do not need).`,
      );
    else point.pass('IO-1', `${stream}: the probe was stopped before it could tell`);
  }
  const logged = [...run.host.stdout, ...run.host.stderr].some((l) => l.includes(PROBE_LOG_MARKER));
  point.pass(
    'LOG-2',
    logged
      ? "the plugin's stderr log line shows in the host's output"
      : "the plugin's stderr log line is not in the host's stdout/stderr (it may log elsewhere)",
  );
  return point;
}

export function shutdownPoint(run: ScenarioRun, launch: Launch): Point {
  const point = new Point('shutdown', 'how the host stops the plugin');
  const shutdown = firstOf(launch, 'shutdown');
  const f = fate(launch);
  const term = run.stops.find((s) => s.signal === 'SIGTERM');
  const by = term ? ` (the check stopped the host with SIGTERM: ${term.why})` : '';
  for (const dir of run.leftSocketDirs)
    point.warn(
      'LS-5',
      `the socket directory it made (${dir}) is still there after it exited`,
      'Remove the PLUGIN_UNIX_SOCKET_DIR directory when the plugin is gone.',
    );
  if (f.alive) {
    if (term)
      return point.warn(
        'LC-7',
        `the host was terminated and left its plugin running${by}`,
        'Stop the plugins when the host exits or gets SIGTERM (go-plugin: call plugin.CleanupClients() on the way out; qplugin: managed clients).',
      );
    return point.fail(
      'LC-1',
      `the host ended (${describeHost(run)}) and left its plugin running`,
      "Stop the plugin before exiting: GRPCController.Shutdown, a grace period, then SIGKILL (go-plugin's client.Kill()).",
    );
  }
  if (shutdown) {
    const deadline =
      shutdown.deadlineMs === null
        ? 'no deadline, as go-plugin'
        : `a ${Math.round(shutdown.deadlineMs / 100) / 10} s deadline`;
    return point.pass(
      'LC-1',
      `called GRPCController.Shutdown (${deadline}); the plugin ${describeDeath(f)}; host: ${describeHost(run)}${by}`,
    );
  }
  return point.warn(
    'LC-1',
    `the plugin ${describeDeath(f)} without a GRPCController.Shutdown call${by}`,
    'Call GRPCController.Shutdown first and give the plugin a grace period (go-plugin: 2 s) before killing it.',
  );
}
