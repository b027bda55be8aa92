/**
 * Reading a scenario run: what became of each probe (exited, killed, left
 * running), which calls the host made, how the host itself ended, and short
 * descriptions of those for the report.
 */
import { basename } from 'node:path';

import { quote } from '../points.js';
import type { Point } from '../points.js';
import type { ProbeEvent } from './messages.js';
import type { Launch } from './report-server.js';
import type { ScenarioRun } from './scenario-run.js';

export type EventOf<K extends ProbeEvent['kind']> = Extract<ProbeEvent, { kind: K }>;

export function eventsOf<K extends ProbeEvent['kind']>(launch: Launch, kind: K): EventOf<K>[] {
  return launch.events.filter((e): e is EventOf<K> => e.kind === kind);
}

export function firstOf<K extends ProbeEvent['kind']>(launch: Launch, kind: K): EventOf<K> | undefined {
  return eventsOf(launch, kind)[0];
}

/** Paths of the calls the host made, in order. */
export const callPaths = (launch: Launch): string[] => eventsOf(launch, 'call').map((c) => c.path);

export const connected = (launch: Launch): boolean =>
  launch.events.some((e) => e.kind === 'connection' || e.kind === 'call' || e.kind === 'tls');

export interface Fate {
  /** Still running when the run ended. */
  alive: boolean;
  /** Epoch ms it died. */
  at?: number;
  /** Catchable signals it received. */
  signals: string[];
  /** What it said before exiting, or undefined when it was killed. */
  exitReason?: string;
}

export function fate(launch: Launch): Fate {
  const signals = eventsOf(launch, 'signal').map((s) => s.signal);
  const exiting = firstOf(launch, 'exiting');
  if (launch.closedAt === undefined || launch.leftRunning) return { alive: true, signals };
  return { alive: false, at: launch.closedAt, signals, ...(exiting ? { exitReason: exiting.reason } : {}) };
}

/** What became of a probe, to follow "the plugin …": e.g. `was killed (SIGKILL…) 2004 ms after Shutdown`. */
export function describeDeath(f: Fate, since?: { at: number; what: string }): string {
  const after = since && f.at !== undefined ? ` ${Math.max(0, f.at - since.at)} ms after ${since.what}` : '';
  if (f.alive) return 'kept running';
  if (f.exitReason !== undefined) {
    const how = f.exitReason === 'Shutdown' ? 'exited by itself after Shutdown' : `exited on ${f.exitReason}`;
    return `${how}${after}`;
  }
  const ignored = f.signals.filter((s) => s !== 'SIGKILL');
  return `was killed (SIGKILL: no catchable signal ended it)${after}${ignored.length > 0 ? `; ${ignored.join(', ')} came first and was ignored` : ''}`;
}

/** How the host ended, e.g. `exit status 1` or `killed by SIGTERM (sent by the check: idle for 5 s)`. */
export function describeHost(run: ScenarioRun): string {
  const exit = run.host.exit;
  if (!exit) return run.timedOut ? 'still running when the run timed out' : 'still running';
  const sent = run.stops.find((s) => s.signal === exit.signal);
  if (exit.signal) return `killed by ${exit.signal}${sent ? ` (sent by the check: ${sent.why})` : ''}`;
  const after = run.stops[0] ? ` after the check's ${run.stops[0].signal} (${run.stops[0].why})` : '';
  return `exit status ${exit.code ?? '?'}${after}`;
}

const ERROR_WORDS = /error|unrecognized|incompatible|refus|fail|timeout/i;

/** The message of a JSON line's `error` field (hosts that report in JSON), else the line. */
function errorText(line: string): string {
  try {
    const value: unknown = JSON.parse(line);
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { error?: unknown }).error === 'string'
    )
      return (value as { error: string }).error.split('\n')[0]!;
  } catch {
    // not JSON
  }
  return line.trim();
}

/**
 * The host's own words about what went wrong: the first line on its stdout
 * that sounds like an error (where command-line hosts report), else the
 * last such line of its log on stderr.
 */
export function hostError(run: ScenarioRun): string | undefined {
  const sounds = (l: string): boolean => ERROR_WORDS.test(l) && !l.includes('flood');
  const line = run.host.stdout.find(sounds) ?? run.host.stderr.filter(sounds).at(-1);
  return line === undefined ? undefined : errorText(line);
}

/** The host's error line, quoted, for the report. */
export function hostSaid(run: ScenarioRun): string {
  const said = hostError(run);
  return said ? `; the host said ${quote(said, 200)}` : '';
}

/** OpenSSL's multi-line error text, down to its reason (e.g. `sslv3 alert bad certificate`). */
export function tlsReason(message: string): string {
  return /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message.split('\n')[0]!;
}

export interface Intermediate {
  pid: number;
  exe: string;
  cmdline: string;
  /** Epoch ms it was seen gone. */
  goneAt?: number;
}

/** The process between host and probe (a shell running the plugin command), if any. */
export function intermediate(run: ScenarioRun, launch: Launch): Intermediate | undefined {
  const { hello } = launch;
  if (hello.ppid === run.host.pid) return undefined;
  const parent = hello.ancestors[0];
  if (!parent) return undefined;
  const gone = eventsOf(launch, 'parent-gone')[0];
  return { ...parent, ...(gone ? { goneAt: gone.t } : {}) };
}

export const FIX_EXEC =
  'Have the plugin command exec the plugin (e.g. KV_PLUGIN="exec ./plugin"), or start it without a shell: a go-plugin host kills only the process it started (go-plugin issue #136), and a plugin left under a killed shell keeps the host\'s pipes open, so the host hangs in Kill until it exits.';

/**
 * When a probe survived but the process the host started (a shell above it)
 * was stopped, the host did its part: says so as an LC-6 warning (the plugin
 * command leaves a process behind) and returns true.
 */
export function leftUnderShell(
  run: ScenarioRun,
  launch: Launch,
  point: Point,
  since?: { at: number; what: string },
): boolean {
  const mid = intermediate(run, launch);
  if (!mid || mid.goneAt === undefined || !fate(launch).alive) return false;
  const after = since ? ` ${Math.max(0, mid.goneAt - since.at)} ms after ${since.what}` : '';
  point.warn(
    'LC-6',
    `the host stopped the process it started (${basename(mid.exe)} ${quote(mid.cmdline, 100)})${after}, but the plugin under it kept running; the host: ${describeHost(run)}`,
    FIX_EXEC,
  );
  return true;
}

export const STDIO = '/plugin.GRPCStdio/StreamStdio';
export const BROKER = '/plugin.GRPCBroker/StartStream';
export const SHUTDOWN = '/plugin.GRPCController/Shutdown';
export const HEALTH = '/grpc.health.v1.Health/Check';
