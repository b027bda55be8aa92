/**
 * The host check: run the host under test once per scenario, each time with
 * the probe as its plugin (the probe plays what the scenario asks: a normal
 * plugin, a wrong certificate, a garbage line, a hung plugin…), and judge
 * what the host did against the rules. Without a host command the probe's
 * path is handed to the caller (to print) and each launch of it plays the
 * next scenario.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GO_PLUGIN_MODULE, GRPC_MODULE, readGoBuildInfo } from '../go-buildinfo.js';
import { Point, results } from '../points.js';
import type { PointResult } from '../points.js';
import type { HostProfile } from '../presets.js';
import { SCENARIOS, scriptFor } from './messages.js';
import type { Hello, ScenarioName } from './messages.js';
import {
  envPoint,
  hostCertificatePoint,
  ioPoint,
  launchPoint,
  servicesPoint,
  shutdownPoint,
  tlsPoint,
} from './normal-points.js';
import { describeHost } from './observations.js';
import { ReportServer, RunRecord } from './report-server.js';
import type { Launch } from './report-server.js';
import { killPid } from '../process/processes.js';
import {
  hostStopPoint,
  hungPoint,
  missingServicesPoint,
  refusalPoint,
  slowStartPoint,
  verifiesPoint,
} from './scenario-points.js';
import { runScenario, writeWrapper } from './scenario-run.js';
import type { ScenarioRun } from './scenario-run.js';

export interface HostCheckOptions {
  /** The command that starts the host, `{probe}` standing for the probe's path (also in $QPLUGIN_PROBE). */
  command: readonly string[];
  cwd?: string;
  /** What the host is expected to set (cookie, versions, AutoMTLS); without it the check infers them. */
  profile?: HostProfile;
  /** Scenarios to run; default all (`normal` always runs). */
  scenarios?: readonly ScenarioName[];
  /** How long the `slow-start` probe waits before its handshake. Default 2000. */
  slowStartMs?: number;
  /** A host still running without news for this long is sent SIGTERM. Default 5000. */
  idleMs?: number;
  /** How long the host may take to start the probe, before it counts as idle. Default 20000. */
  launchWaitMs?: number;
  /** Limit per scenario. Default 30000 (plus the slow start). */
  scenarioTimeoutMs?: number;
  /** Scenarios run at the same time. Default 2. */
  concurrency?: number;
}

export interface ManualHostCheckOptions {
  /** Told the probe's path, to print: the user configures the host with it and starts the host. */
  onProbe(path: string): void;
  profile?: HostProfile;
  /** Scenarios, one per launch of the probe, in this order after `normal`. Default: normal only. */
  scenarios?: readonly ScenarioName[];
  /** How long to wait for all launches. Default 120000. */
  waitMs?: number;
  /** A launch that has been quiet this long is over (its probe is then stopped). Default 5000. */
  idleMs?: number;
  slowStartMs?: number;
}

export interface RunSummary {
  scenario: ScenarioName;
  launches: number;
  host: string;
  hostPid: number;
  /** The host's last output lines. */
  output: string[];
}

export interface HostCheckReport {
  points: PointResult[];
  runs: RunSummary[];
  /** go-plugin and grpc versions of the host, when it is a Go executable built with go-plugin. */
  goPlugin?: string;
  grpc?: string;
}

const DEFAULTS = {
  slowStartMs: 2000,
  idleMs: 5000,
  launchWaitMs: 20_000,
  scenarioTimeoutMs: 30_000,
  concurrency: 2,
};

/** Runs `jobs` with at most `limit` at a time, results in order. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

/** go-plugin and grpc versions of the first Go ancestor of the probe built with go-plugin. */
async function hostBuild(hello: Hello | undefined): Promise<{ goPlugin?: string; grpc?: string }> {
  for (const a of hello?.ancestors ?? []) {
    const info = a.exe ? await readGoBuildInfo(a.exe) : undefined;
    const goPlugin = info?.modules.get(GO_PLUGIN_MODULE);
    if (goPlugin)
      return {
        goPlugin,
        ...(info!.modules.get(GRPC_MODULE) ? { grpc: info!.modules.get(GRPC_MODULE)! } : {}),
      };
  }
  return {};
}

export async function runHostCheck(options: HostCheckOptions): Promise<HostCheckReport> {
  const o = { ...DEFAULTS, ...options };
  const selected = SCENARIOS.filter((s) => s === 'normal' || (options.scenarios ?? SCENARIOS).includes(s));
  const dir = mkdtempSync(join(tmpdir(), 'qp-host-check-'));
  const server = await ReportServer.listen(dir);
  try {
    const jobs = selected.map((scenario, i) => async (): Promise<ScenarioRun> => {
      const id = `${i}-${scenario}`;
      const script = scriptFor(scenario, o.slowStartMs);
      const record = server.register(id, () => script);
      return runScenario({
        scenario,
        record,
        command: options.command,
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
        probe: writeWrapper(dir, server.path, id),
        timing: {
          idleMs: o.idleMs,
          launchWaitMs: o.launchWaitMs,
          timeoutMs: o.scenarioTimeoutMs + (scenario === 'slow-start' ? o.slowStartMs : 0),
        },
      });
    });
    const runs = await pool(jobs, o.concurrency);
    const byName = new Map(runs.map((r) => [r.scenario, r]));
    const normal = byName.get('normal')!;
    const first = normal.record.launches[0];
    const build = await hostBuild(first?.hello);
    const points = evaluate(byName, options.profile, build.goPlugin, o.slowStartMs);
    return {
      points: results(points),
      runs: runs.map((r) => ({
        scenario: r.scenario,
        launches: r.record.launches.length,
        host: describeHost(r),
        hostPid: r.host.pid,
        output: [...r.host.stdout, ...r.host.stderr]
          .filter((l) => l.trim() !== '' && !l.includes('flood'))
          .slice(-5),
      })),
      ...build,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The host check without a host command: the caller prints the probe's path,
 * the user points the host at it and starts the host (once per scenario);
 * each launch plays the next scenario. Scenarios that need the check to
 * control the host (host-stop) are left out.
 */
export async function runHostCheckManual(options: ManualHostCheckOptions): Promise<HostCheckReport> {
  const idleMs = options.idleMs ?? DEFAULTS.idleMs;
  const slowStartMs = options.slowStartMs ?? DEFAULTS.slowStartMs;
  const order = SCENARIOS.filter(
    (s) => s !== 'host-stop' && (s === 'normal' || (options.scenarios ?? []).includes(s)),
  );
  const dir = mkdtempSync(join(tmpdir(), 'qp-host-check-'));
  const server = await ReportServer.listen(dir);
  try {
    const record = server.register('manual', (i) =>
      i < order.length ? scriptFor(order[i]!, slowStartMs) : undefined,
    );
    options.onProbe(writeWrapper(dir, server.path, 'manual'));
    const deadline = Date.now() + (options.waitMs ?? 120_000);
    const over = (l: Launch): boolean =>
      l.closedAt !== undefined ||
      Date.now() - Math.max(l.hello.startedAt, ...l.events.map((e) => e.t)) > idleMs;
    while (Date.now() < deadline && !(record.launches.length === order.length && record.launches.every(over)))
      await record.changed(Math.min(1000, deadline - Date.now()));
    const runs = record.launches.map((launch, i) => manualRun(order[i]!, launch));
    for (const launch of record.alive()) {
      launch.leftRunning = true;
      killPid(launch.hello.pid);
    }
    for (const scenario of order.slice(record.launches.length)) runs.push(manualRun(scenario, undefined));
    const byName = new Map(runs.map((r) => [r.scenario, r]));
    const build = await hostBuild(record.launches[0]?.hello);
    return {
      points: results(evaluate(byName, options.profile, build.goPlugin, slowStartMs)),
      runs: runs.map((r) => ({
        scenario: r.scenario,
        launches: r.record.launches.length,
        host: 'started by the user',
        hostPid: r.host.pid,
        output: [],
      })),
      ...build,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A launch of the manual mode seen as a run: the host is the probe's parent, its output unknown. */
function manualRun(scenario: ScenarioName, launch: Launch | undefined): ScenarioRun {
  const record = new RunRecord(`manual-${scenario}`, () => undefined);
  if (launch) record.launches.push(launch);
  return {
    scenario,
    record,
    // The user starts the host, most likely from an environment like ours.
    hostEnv: Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    host: {
      pid: launch?.hello.ppid ?? 0,
      startedAt: launch?.hello.startedAt ?? Date.now(),
      stdinLink: null,
      stdout: [],
      stderr: [],
    },
    stops: [],
    leftProbes: record.alive(),
    leftChildren: [],
    leftSocketDirs: [],
    launchedPids: launch ? [launch.hello.pid] : [],
    timedOut: false,
  };
}

function evaluate(
  runs: Map<ScenarioName, ScenarioRun>,
  profile: HostProfile | undefined,
  goPlugin: string | undefined,
  slowStartMs: number,
): Point[] {
  const normal = runs.get('normal')!;
  const launch = normal.record.launches[0];
  const points: Point[] = [launchPoint(normal, launch)];
  const why = `the host never started the probe (${describeHost(normal)})`;
  const fromNormal: [string, string][] = [
    ['env', 'environment the host sets'],
    ['host-certificate', 'the certificate the host sends'],
    ['tls', 'how the host connects'],
    ['services', 'the calls the host makes'],
    ['io', "reading the plugin's stdout and stderr"],
    ['shutdown', 'how the host stops the plugin'],
  ];
  if (launch) {
    points.push(
      envPoint(normal, launch, profile),
      hostCertificatePoint(launch),
      tlsPoint(launch),
      servicesPoint(normal, launch, goPlugin),
      ioPoint(normal, launch),
      shutdownPoint(normal, launch),
    );
  } else {
    for (const [id, title] of fromNormal) points.push(new Point(id, title).skip(why));
  }
  const usesTls = launch?.hello.env.PLUGIN_CLIENT_CERT !== undefined;
  const run = (name: ScenarioName): ScenarioRun | undefined => runs.get(name);
  const wrong = run('wrong-cert');
  if (wrong) points.push(verifiesPoint(wrong, usesTls));
  for (const name of ['garbage-line', 'bad-version', 'stdout-noise'] as const) {
    const r = run(name);
    if (r) points.push(refusalPoint(r));
  }
  const slow = run('slow-start');
  if (slow) points.push(slowStartPoint(slow, slowStartMs));
  const missing = run('missing-services');
  if (missing) points.push(missingServicesPoint(missing, goPlugin));
  const hung = run('hung');
  if (hung) points.push(hungPoint(hung));
  const stop = run('host-stop');
  if (stop) points.push(hostStopPoint(stop));
  return points;
}
