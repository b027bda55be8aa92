/**
 * `qplugin check-host`: the conformance kit's host check. The host command
 * is run once per scenario with the probe as its plugin (`{probe}` in the
 * command, or $QPLUGIN_PROBE); without a command the probe's path is printed
 * for the user to configure, and each launch plays the next scenario.
 */
import {
  SCENARIOS,
  formatReport,
  parseCookie,
  parseVersions,
  runHostCheck,
  runHostCheckManual,
  summarize,
} from '@qplugin/conformance';
import type { HostCheckReport, HostProfile, ScenarioName } from '@qplugin/conformance';

import { str, UsageError } from '../args.js';
import type { Parsed } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { printResult } from '../output.js';
import { PRESETS, PROFILE_OPTIONS, profileFromFlags } from './check.js';

function seconds(values: Parsed['values'], name: string, fallback: number): number {
  const raw = str(values[name]);
  if (raw === undefined) return fallback * 1000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number of seconds`);
  return n * 1000;
}

function scenarios(values: Parsed['values']): ScenarioName[] | undefined {
  const raw = str(values.scenarios);
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new UsageError(
      `unknown scenario ${unknown.map((u) => JSON.stringify(u)).join(', ')}; one of ${SCENARIOS.join(', ')}`,
    );
  return names as ScenarioName[];
}

/**
 * What the host must set: a preset (adjusted by the other flags), or a
 * cookie with optional versions (AutoMTLS then optional); none: inferred.
 */
function expectations(values: Parsed['values']): HostProfile | undefined {
  if (str(values.preset) !== undefined) return profileFromFlags(values).profile;
  const cookie = str(values.cookie);
  if (cookie === undefined) {
    if (str(values['protocol-versions']) !== undefined)
      throw new UsageError('--protocol-versions needs --cookie or --preset');
    return undefined;
  }
  const parsed = parseCookie(cookie);
  if (!parsed) throw new UsageError('--cookie must be KEY=VALUE, e.g. BASIC_PLUGIN=hello');
  const versions = str(values['protocol-versions']);
  const protocolVersions = versions === undefined ? [] : parseVersions(versions);
  if (!protocolVersions)
    throw new UsageError('--protocol-versions must be positive integers separated by commas, e.g. 5,6');
  return { host: 'the host', cookie: parsed, protocolVersions, autoMTLS: false };
}

export const checkHost: Command = {
  name: 'check-host',
  usage:
    'qplugin check-host [options] -- <command that starts the host, with {probe} for the plugin>   |   qplugin check-host [options]',
  options: {
    ...PROFILE_OPTIONS,
    preset: {
      type: 'string',
      value: 'NAME',
      description: `what the host should set: ${PRESETS.map((p) => p.name).join(', ')} (default: infer)`,
    },
    'no-automtls': { type: 'boolean', description: 'with --preset: do not require AutoMTLS' },
    scenarios: {
      type: 'string',
      value: 'LIST',
      description: `scenarios to run, comma-separated (default all: ${SCENARIOS.join(', ')})`,
    },
    'slow-start': {
      type: 'string',
      value: 'SECONDS',
      description: 'delay of the slow-start probe',
      default: '2',
    },
    idle: {
      type: 'string',
      value: 'SECONDS',
      description: 'a host quiet this long is sent SIGTERM (without a command: a launch is over)',
      default: '5',
    },
    timeout: { type: 'string', value: 'SECONDS', description: 'limit per scenario', default: '30' },
    wait: {
      type: 'string',
      value: 'SECONDS',
      description: 'without a command: how long to wait for the launches',
      default: '120',
    },
  },
  details:
    'Points: launch, env, host-certificate, tls, services, io, shutdown (from the normal run), verifies-plugin,\n' +
    'garbage-line, bad-version, stdout-noise, slow-start, missing-services, hung, host-stop; each finding\n' +
    'cites a rule of docs/protocol.md. The host command runs once per scenario; {probe} in it is replaced\n' +
    `by the probe path, which is also in $QPLUGIN_PROBE (e.g. -- sh -c 'KV_PLUGIN="exec $QPLUGIN_PROBE" ./host get k').\n` +
    'Without a command the probe path is printed: configure the host with it and start the host once per\n' +
    'scenario (--scenarios; host-stop needs a command).\n' +
    `Exit status: ${ExitCode.ok} no point failed (warnings allowed), ${ExitCode.rejected} a point failed, ${ExitCode.failed} the check could not run.`,
  async run({ values, positionals }, io) {
    const profile = expectations(values);
    const chosen = scenarios(values);
    const slowStartMs = seconds(values, 'slow-start', 2);
    const idleMs = seconds(values, 'idle', 5);
    let report: HostCheckReport;
    let title: string;
    if (positionals.length > 0) {
      report = await runHostCheck({
        command: positionals,
        ...(profile ? { profile } : {}),
        ...(chosen ? { scenarios: chosen } : {}),
        slowStartMs,
        idleMs,
        scenarioTimeoutMs: seconds(values, 'timeout', 30),
      });
      title = `qplugin check-host ${positionals.join(' ')}`;
    } else {
      report = await runHostCheckManual({
        onProbe: (path) =>
          io.stderr.write(
            `probe: ${path}\nConfigure the host to start it as its plugin, then start the host (once per scenario).\n`,
          ),
        ...(profile ? { profile } : {}),
        ...(chosen ? { scenarios: chosen } : {}),
        slowStartMs,
        idleMs,
        waitMs: seconds(values, 'wait', 120),
      });
      title = 'qplugin check-host (host started by hand)';
    }
    const built = report.goPlugin
      ? ` (Go, go-plugin ${report.goPlugin}${report.grpc ? `, grpc ${report.grpc}` : ''})`
      : '';
    const summary = summarize(report.points);
    printResult(
      io,
      {
        ok: summary.fail === 0,
        command: positionals,
        ...(report.goPlugin ? { goPlugin: report.goPlugin } : {}),
        ...(report.grpc ? { grpc: report.grpc } : {}),
        profile: profile ?? null,
        summary,
        points: report.points,
        runs: report.runs,
      },
      formatReport(`${title}${built}`, report.points, io.tty),
    );
    return summary.fail > 0 ? ExitCode.rejected : ExitCode.ok;
  },
};
