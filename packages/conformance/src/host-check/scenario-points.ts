/**
 * What the other scenarios tell about a host: does it verify the plugin's
 * certificate, refuse a bad handshake (and kill the plugin), wait for a slow
 * one, cope without the optional services, kill a hung plugin, and stop its
 * plugin when it is terminated itself.
 */
import { olderThan } from '../go-buildinfo.js';
import { Point } from '../points.js';
import { PROBE_CHILD_MARKER } from './messages.js';
import {
  SHUTDOWN,
  STDIO,
  callPaths,
  connected,
  describeDeath,
  describeHost,
  eventsOf,
  fate,
  firstOf,
  hostSaid,
  leftUnderShell,
  tlsReason,
} from './observations.js';
import type { Launch } from './report-server.js';
import type { ScenarioRun } from './scenario-run.js';

const FIX_KILL_ON_FAILURE =
  "When a start fails (bad handshake, version, timeout), kill the plugin process before giving up (go-plugin's Start does).";

/** Whether the first launch's probe was stopped; fails LC-5 on the point if it was left running. */
function stoppedAfterRefusal(
  run: ScenarioRun,
  launch: Launch,
  point: Point,
  since: string,
): string | undefined {
  const f = fate(launch);
  const line = firstOf(launch, 'handshake');
  const from = line ? { at: line.t, what: since } : { at: launch.hello.startedAt, what: 'its start' };
  if (leftUnderShell(run, launch, point, from)) return `the plugin kept running under a killed shell`;
  if (f.alive) {
    point.fail(
      'LC-5',
      run.host.exit
        ? `the host gave up (${describeHost(run)}) but left the plugin running${hostSaid(run)}`
        : `the host neither connected nor stopped the plugin (${describeHost(run)})`,
      FIX_KILL_ON_FAILURE,
    );
    return undefined;
  }
  return `the plugin ${describeDeath(f, from)}`;
}

const launches = (run: ScenarioRun): string =>
  run.record.launches.length > 1 ? `; it started the plugin ${run.record.launches.length} times` : '';

export function verifiesPoint(run: ScenarioRun, usesTls: boolean): Point {
  const point = new Point('verifies-plugin', "checks the plugin's certificate");
  if (!usesTls) return point.skip('AutoMTLS off: there is no certificate to check');
  const launch = run.record.launches[0];
  if (!launch) return point.skip(`the host never started the probe (${describeHost(run)})`);
  const accepted = firstOf(launch, 'tls') ?? firstOf(launch, 'call');
  if (accepted) {
    return point.fail(
      'TLS-4',
      'completed TLS with a server whose certificate is not the one announced in the handshake: any local process at that address could pose as the plugin',
      'Trust only the certificate from handshake field 6 (as the sole root, name localhost) and refuse any other.',
    );
  }
  const error = firstOf(launch, 'tls-error');
  const stopped = stoppedAfterRefusal(run, launch, point, 'the handshake');
  if (point.status !== 'fail')
    point.pass(
      'TLS-4',
      `${error ? `refused the TLS handshake (${tlsReason(error.message)})` : 'never completed a TLS handshake'}; ${stopped}; host: ${describeHost(run)}`,
    );
  return point;
}

/** garbage-line, bad-version and stdout-noise: the host must refuse, and kill the plugin. */
export function refusalPoint(run: ScenarioRun): Point {
  const titles = {
    'garbage-line': 'refuses a line that is not a handshake',
    'bad-version': 'refuses an app version it did not offer',
    'stdout-noise': 'refuses output before the handshake',
  } as const;
  const scenario = run.scenario as keyof typeof titles;
  const point = new Point(scenario, titles[scenario]);
  const launch = run.record.launches[0];
  if (!launch) return point.skip(`the host never started the probe (${describeHost(run)})`);
  const line = firstOf(launch, 'handshake')?.line ?? '';
  // After a garbage line there is no address to connect to: only refusing and killing count there.
  if (scenario !== 'garbage-line' && connected(launch)) {
    if (scenario === 'bad-version')
      point.fail(
        'VN-2',
        `accepted app version ${line.split('|')[1]} although it offered PLUGIN_PROTOCOL_VERSIONS=${launch.hello.env.PLUGIN_PROTOCOL_VERSIONS ?? ''}`,
        'Accept only a version you offered; refuse the plugin otherwise (go-plugin: "incompatible API version with plugin").',
      );
    else
      point.warn(
        'HS-1',
        'took the line after a banner as the handshake: more lenient than go-plugin, which refuses, so a plugin that only works with this host fails under go-plugin hosts',
        'Take the first stdout line as the handshake, as go-plugin does.',
      );
    return point;
  }
  const stopped = stoppedAfterRefusal(run, launch, point, 'the line');
  if (point.status !== 'fail')
    point.pass(
      scenario === 'bad-version' ? 'VN-2' : scenario === 'stdout-noise' ? 'HS-1' : 'HS-9',
      `refused it; ${stopped}${hostSaid(run)}${launches(run)}`,
    );
  return point;
}

export function slowStartPoint(run: ScenarioRun, delayMs: number): Point {
  const point = new Point('slow-start', `waits for a plugin that takes ${delayMs / 1000} s to start`);
  const launch = run.record.launches[0];
  if (!launch) return point.skip(`the host never started the probe (${describeHost(run)})`);
  const line = firstOf(launch, 'handshake');
  if (line && connected(launch))
    return point.pass(
      'HS-9',
      `connected after the handshake came, ${Math.round((line.t - launch.hello.startedAt) / 100) / 10} s after the start`,
    );
  const f = fate(launch);
  return point.fail(
    'HS-9',
    `gave up on the plugin ${line ? 'before connecting' : 'before it printed the handshake'}: the plugin ${describeDeath(f, { at: launch.hello.startedAt, what: 'its start' })}; host: ${describeHost(run)}${hostSaid(run)}`,
    'Wait for the handshake line for as long as go-plugin does (StartTimeout, 1 minute by default).',
  );
}

export function missingServicesPoint(run: ScenarioRun, goPlugin: string | undefined): Point {
  const point = new Point('missing-services', 'copes with a plugin that has only health');
  const launch = run.record.launches[0];
  if (!launch) return point.skip(`the host never started the probe (${describeHost(run)})`);
  const paths = callPaths(launch);
  const stdio = paths.filter((p) => p === STDIO).length;
  if (stdio > 2) {
    point.fail(
      'SVC-5',
      `opened GRPCStdio.StreamStdio ${stdio} times against Unimplemented${olderThan(goPlugin, 'v1.2.1') ? ` (go-plugin ${goPlugin}: 1.1.0-1.2.0 loop forever; upgrade go-plugin to >= 1.2.1)` : ''}`,
      'Treat Unimplemented on StreamStdio as "no stdio" and do not retry.',
    );
  }
  const f = fate(launch);
  const shutdownAt = eventsOf(launch, 'call').find((c) => c.path === SHUTDOWN)?.t;
  const since = shutdownAt ? { at: shutdownAt, what: 'the Unimplemented Shutdown' } : undefined;
  if (leftUnderShell(run, launch, point, since)) return point;
  if (f.alive) {
    point.fail(
      'LC-1',
      `the host ended (${describeHost(run)}) and left the plugin running: its Shutdown ${shutdownAt ? 'was Unimplemented' : 'never came'}, and it did not kill it`,
      'When Shutdown fails (a plugin without GRPCController), still kill the plugin after the grace period.',
    );
    return point;
  }
  if (!shutdownAt && run.host.exit?.code !== 0 && paths.length > 0) {
    point.warn(
      'SVC-5',
      `gave up on the plugin (${describeHost(run)})${hostSaid(run)}: GRPCStdio, GRPCBroker and GRPCController are optional to a host`,
      'Carry on when the stdio or broker stream is Unimplemented, and kill the plugin when Shutdown is.',
    );
  }
  if (point.status === 'pass')
    point.pass(
      'SVC-5',
      `carried on without GRPCStdio, GRPCBroker and GRPCController (${paths.length} call(s)); the plugin ${describeDeath(f, since)}`,
    );
  return point;
}

export function hungPoint(run: ScenarioRun): Point {
  const point = new Point('hung', 'kills a plugin that does not stop');
  const launch = run.record.launches[0];
  if (!launch) return point.skip(`the host never started the probe (${describeHost(run)})`);
  const f = fate(launch);
  const shutdown = firstOf(launch, 'shutdown');
  const child = firstOf(launch, 'child');
  if (leftUnderShell(run, launch, point, shutdown ? { at: shutdown.t, what: 'Shutdown' } : undefined))
    return point;
  if (f.alive) {
    point.fail(
      'LC-1',
      run.host.exit
        ? `the host ended (${describeHost(run)}) and left running a plugin that ignored ${shutdown ? 'Shutdown' : 'it'}`
        : `the host did not kill a plugin that ${shutdown ? 'answered Shutdown but ' : ''}kept running (${describeHost(run)})`,
      'After Shutdown, wait a grace period (go-plugin: 2 s) and SIGKILL a plugin that is still running.',
    );
    return point;
  }
  const since = shutdown ? { at: shutdown.t, what: 'Shutdown' } : undefined;
  const group = child
    ? run.leftChildren.includes(child.pid)
      ? `; its child process (${PROBE_CHILD_MARKER}) survived: only the plugin process was killed (as go-plugin; plugins must stop their own children, LC-6)`
      : '; its child process went too'
    : '';
  return point.pass('LC-1', `the plugin ${describeDeath(f, since)}${group}`);
}

export function hostStopPoint(run: ScenarioRun): Point {
  const point = new Point('host-stop', 'stops its plugin when terminated');
  const launch = run.record.launches[0];
  if (!launch) return point.skip(`the host never started the probe (${describeHost(run)})`);
  const term = run.stops.find((s) => s.signal === 'SIGTERM');
  if (!term)
    return point.skip(`the host finished (${describeHost(run)}) before the check could terminate it`);
  const f = fate(launch);
  if (f.alive)
    return point.warn(
      'LC-7',
      `after SIGTERM the host ended (${describeHost(run)}) and the plugin kept running: go-plugin leaves this to the application`,
      'Stop the plugins when the host exits or gets SIGTERM (go-plugin: plugin.CleanupClients() on the way out; qplugin: managed clients).',
    );
  return point.pass(
    'LC-7',
    `the plugin ${describeDeath(f, { at: term.at, what: "the check's SIGTERM to the host" })}; host: ${describeHost(run)}`,
  );
}
