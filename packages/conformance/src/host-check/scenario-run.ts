/**
 * One scenario against the host under test: write the probe's wrapper for
 * the run, start the host command with it, watch the probe's reports until
 * the host is done with it, and clean up whatever is left. The host ends the
 * run by exiting; a host that keeps running is stopped with SIGTERM once it
 * has been idle (or, in `host-stop`, as soon as it asks the probe to shut
 * down), then SIGKILLed if it does not go.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { removeStaleSocket } from '@qplugin/go-plugin/internal';

import { killPid, readProc } from '../process/processes.js';
import type { ExitInfo } from '../process/spawn.js';
import { spawnHost } from './host-process.js';
import type { HostProcess } from './host-process.js';
import type { ScenarioName } from './messages.js';
import type { Launch, RunRecord } from './report-server.js';

const PROBE_MAIN = fileURLToPath(new URL('./probe/main.js', import.meta.url));

/** After the host exits, how long its plugin gets to go. */
export const SETTLE_MS = 1500;
/** After the check's SIGTERM, how long before SIGKILL. */
const KILL_AFTER_MS = 10_000;
/** How often the run looks at the clock when nothing happens. */
const TICK_MS = 250;

export interface RunTiming {
  /** A host that keeps running is stopped after this long without news (counted from the probe's first report). */
  idleMs: number;
  /** How long a host may take to start the probe (and the probe to report) before the host counts as idle. */
  launchWaitMs: number;
  /** Hard limit for the whole run. */
  timeoutMs: number;
}

export interface CheckStop {
  signal: NodeJS.Signals;
  at: number;
  why: string;
}

export interface ScenarioRun {
  scenario: ScenarioName;
  record: RunRecord;
  /** The env the host was started with (to tell what it added). */
  hostEnv: Record<string, string>;
  host: {
    pid: number;
    startedAt: number;
    stdinLink: string | null;
    exit?: ExitInfo;
    exitedAt?: number;
    /** The host's stdout and stderr lines. */
    stdout: string[];
    stderr: string[];
  };
  /** Signals the check sent the host, and why. */
  stops: CheckStop[];
  /** Probe launches still alive when the run ended (before the check killed them). */
  leftProbes: Launch[];
  /** Child processes of probes still alive then. */
  leftChildren: number[];
  /** Pids of every start of the probe's wrapper, reported or not. */
  launchedPids: number[];
  /** PLUGIN_UNIX_SOCKET_DIR directories that still existed after the host exited. */
  leftSocketDirs: string[];
  timedOut: boolean;
}

function launchedPids(probe: string): number[] {
  try {
    return readFileSync(join(dirname(probe), LAUNCHED_FILE), 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether the very process (pid and start time) still runs. */
function alive(pid: number, startTicks: number): boolean {
  const now = readProc(pid);
  return now !== undefined && now.startTime === startTicks && now.state !== 'Z';
}

const LAUNCHED_FILE = 'launched';

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The executable the host is told to start: a script that execs the probe with its run id. */
export function writeWrapper(dir: string, reportPath: string, run: string): string {
  const runDir = join(dir, run);
  mkdirSync(runDir, { recursive: true });
  const path = join(runDir, 'qplugin-probe');
  const line = [process.execPath, PROBE_MAIN, reportPath, run, String(process.pid), runDir]
    .map(shellQuote)
    .join(' ');
  // The pid is noted before Node starts, so a probe killed before it could report is still seen.
  const launched = shellQuote(join(runDir, LAUNCHED_FILE));
  writeFileSync(
    path,
    `#!/bin/sh\n# qplugin check-host probe for run ${run}\necho $$ >> ${launched}\nexec ${line} "$@"\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** The host command with `{probe}` replaced. */
export function hostCommand(template: readonly string[], probe: string): string[] {
  return template.map((a) => a.replaceAll('{probe}', probe));
}

export interface RunInput {
  scenario: ScenarioName;
  record: RunRecord;
  command: readonly string[];
  cwd?: string;
  probe: string;
  timing: RunTiming;
}

export async function runScenario(input: RunInput): Promise<ScenarioRun> {
  const { record, scenario, timing } = input;
  const [cmd, ...args] = hostCommand(input.command, input.probe) as [string, ...string[]];
  const hostEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) hostEnv[k] = v;
  hostEnv.QPLUGIN_PROBE = input.probe;
  const host = await spawnHost(cmd, args, hostEnv, input.cwd);
  const stops: CheckStop[] = [];
  const stop = (signal: NodeJS.Signals, why: string): void => {
    stops.push({ signal, at: Date.now(), why });
    if (signal === 'SIGKILL') host.signalGroup(signal);
    else host.signal(signal);
  };
  let timedOut = false;
  for (;;) {
    if (host.exitInfo()) {
      await record.until(() => record.alive().length === 0, SETTLE_MS);
      break;
    }
    const now = Date.now();
    if (now - host.startedAt > timing.timeoutMs) {
      timedOut = true;
      break;
    }
    const term = stops.find((s) => s.signal === 'SIGTERM');
    if (term && !stops.some((s) => s.signal === 'SIGKILL') && now - term.at > KILL_AFTER_MS) {
      stop('SIGKILL', `still running ${KILL_AFTER_MS / 1000} s after SIGTERM`);
    } else if (!term) {
      const quiet = now - Math.max(record.lastActivity, host.startedAt);
      // Before the probe's first report, the host (or a slow machine) is still starting it.
      const patience = record.launches.length > 0 ? timing.idleMs : timing.launchWaitMs;
      if (scenario === 'host-stop' && (record.has('shutdown') || (record.has('call') && quiet > 1000)))
        stop('SIGTERM', 'to see what becomes of its plugin when the host is terminated');
      else if (quiet > patience) stop('SIGTERM', `idle for ${Math.round(quiet / 1000)} s`);
    }
    await Promise.race([record.changed(TICK_MS), host.exited]);
  }
  return finish(input, host, hostEnv, stops, timedOut);
}

function finish(
  input: RunInput,
  host: HostProcess,
  hostEnv: Record<string, string>,
  stops: CheckStop[],
  timedOut: boolean,
): ScenarioRun {
  const { record } = input;
  const leftProbes = record.alive();
  for (const launch of leftProbes) launch.leftRunning = true;
  const leftChildren: number[] = [];
  for (const launch of record.launches)
    for (const e of launch.events)
      if (e.kind === 'child' && alive(e.pid, e.startTicks)) leftChildren.push(e.pid);
  const exit = host.exitInfo();
  const leftSocketDirs = exit
    ? [
        ...new Set(
          record.launches.map((l) => l.hello.env.PLUGIN_UNIX_SOCKET_DIR).filter((d): d is string => !!d),
        ),
      ].filter((d) => existsSync(d))
    : [];

  // Clean up: the host's group, each probe that is left (and its own group if it leads one), their children.
  host.signalGroup('SIGKILL');
  for (const launch of leftProbes) {
    if (!alive(launch.hello.pid, launch.hello.startTicks)) continue;
    if (launch.hello.pgid === launch.hello.pid) {
      try {
        process.kill(-launch.hello.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    killPid(launch.hello.pid);
  }
  for (const pid of leftChildren) killPid(pid);
  for (const launch of record.launches) {
    const listening = launch.events.find((e) => e.kind === 'listening');
    if (
      listening?.kind === 'listening' &&
      listening.network === 'unix' &&
      launch.hello.env.PLUGIN_UNIX_SOCKET_DIR
    )
      removeStaleSocket(listening.address);
  }
  return {
    scenario: input.scenario,
    record,
    hostEnv,
    host: {
      pid: host.pid,
      startedAt: host.startedAt,
      stdinLink: host.stdinLink,
      ...(exit ? { exit, exitedAt: host.exitedAt()! } : {}),
      stdout: host.stdout.lines,
      stderr: host.stderr.lines,
    },
    stops,
    leftProbes,
    leftChildren,
    leftSocketDirs,
    launchedPids: launchedPids(input.probe),
    timedOut,
  };
}
