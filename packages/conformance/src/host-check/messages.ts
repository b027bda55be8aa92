/**
 * What the probe and the host check tell each other over the report socket,
 * one JSON object per line: the probe says hello (how it was started), the
 * check answers with the scenario to play, then the probe reports events
 * until it dies (the socket closing marks the moment).
 */

/** Marker on the command line of the child process a `hung` probe starts. */
export const PROBE_CHILD_MARKER = 'qplugin-probe-child';
/** A line the probe logs on stderr, looked for in the host's output. */
export const PROBE_LOG_MARKER = 'qplugin probe serving';

export const SCENARIOS = [
  'normal',
  'wrong-cert',
  'garbage-line',
  'bad-version',
  'stdout-noise',
  'slow-start',
  'missing-services',
  'hung',
  'host-stop',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** How the probe behaves in one scenario. */
export interface ProbeScript {
  scenario: ScenarioName;
  /** Wait this long before printing the handshake. */
  delayMs: number;
  /** What goes on stdout instead of (or before) a correct handshake. */
  line: 'handshake' | 'garbage' | 'bad-version' | 'banner-first';
  /** Announce one certificate and serve TLS with another. */
  wrongCertificate: boolean;
  /** Serve GRPCController, GRPCStdio and GRPCBroker (health is always served). */
  builtins: boolean;
  /** On Shutdown: answer and exit; answer and keep running; never answer. */
  onShutdown: 'exit' | 'ignore' | 'hold';
  /** Ignore SIGTERM and SIGINT (a hung plugin). */
  ignoreSignals: boolean;
  /** Start a child process in the probe's process group. */
  child: boolean;
  /** After the handshake, write this many bytes to stdout and to stderr. */
  floodBytes: number;
}

export interface ProcessInfo {
  pid: number;
  exe: string;
  cmdline: string;
}

export interface Hello {
  type: 'hello';
  run: string;
  pid: number;
  ppid: number;
  pgid: number;
  /** Epoch ms. */
  startedAt: number;
  /** /proc start time in clock ticks, to recognise the process later. */
  startTicks: number;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** readlink of /proc/self/fd/0..2, e.g. `pipe:[123]`. */
  fds: (string | null)[];
  /** Parent, grandparent… up to (not including) the check itself. */
  ancestors: ProcessInfo[];
  /** PLUGIN_UNIX_SOCKET_DIR as the probe found it at start. */
  socketDir?: { isDirectory: boolean; mode: number; writable: boolean };
}

export type ProbeEvent = { t: number } & (
  | { kind: 'listening'; network: string; address: string }
  | { kind: 'handshake'; line: string }
  | { kind: 'multiplex-requested'; value: string }
  | {
      kind: 'tls';
      protocol: string | null;
      alpn: string | false | null;
      servername: string | false | null;
      /** Base64 DER of the client certificate presented. */
      peerCertificate: string | null;
      sharedSigalgs: string[];
    }
  | { kind: 'tls-error'; message: string }
  | { kind: 'connection'; tls: boolean }
  | { kind: 'call'; path: string; authority: string; userAgent: string; timeout: string | null }
  | { kind: 'call-end'; path: string; code: number | null }
  | { kind: 'broker-message'; serviceId: number; knock: boolean }
  | { kind: 'shutdown'; deadlineMs: number | null }
  | { kind: 'signal'; signal: string }
  | { kind: 'flood'; stream: 'stdout' | 'stderr'; bytes: number; done: boolean; ms: number }
  | { kind: 'child'; pid: number; startTicks: number }
  | { kind: 'parent-gone'; pid: number }
  | { kind: 'error'; message: string }
  | { kind: 'exiting'; reason: string }
);

/** An event without its time (each kind keeps its own fields). */
export type ProbeEventInput = ProbeEvent extends infer E ? (E extends unknown ? Omit<E, 't'> : never) : never;

export type ProbeMessage = Hello | ({ type: 'event' } & ProbeEvent);

export interface ScenarioMessage {
  type: 'script';
  script: ProbeScript;
}

/** Scripts of the scenarios; `slowStartMs` is the delay of `slow-start`. */
export function scriptFor(scenario: ScenarioName, slowStartMs: number): ProbeScript {
  const base: ProbeScript = {
    scenario,
    delayMs: 0,
    line: 'handshake',
    wrongCertificate: false,
    builtins: true,
    onShutdown: 'exit',
    ignoreSignals: false,
    child: false,
    floodBytes: 0,
  };
  switch (scenario) {
    case 'normal':
      return { ...base, floodBytes: 1024 * 1024 };
    case 'wrong-cert':
      return { ...base, wrongCertificate: true };
    case 'garbage-line':
      return { ...base, line: 'garbage' };
    case 'bad-version':
      return { ...base, line: 'bad-version' };
    case 'stdout-noise':
      return { ...base, line: 'banner-first' };
    case 'slow-start':
      return { ...base, delayMs: slowStartMs };
    case 'missing-services':
      return { ...base, builtins: false, onShutdown: 'ignore' };
    case 'hung':
      return { ...base, onShutdown: 'ignore', ignoreSignals: true, child: true };
    case 'host-stop':
      return { ...base, onShutdown: 'hold' };
  }
}

/** Splits a byte stream into JSON messages, one per line. */
export class JsonLineReader<T> {
  private buffered = '';
  constructor(private readonly onMessage: (message: T) => void) {}

  push(chunk: Buffer | string): void {
    const lines = (this.buffered + chunk.toString()).split('\n');
    this.buffered = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        this.onMessage(JSON.parse(line) as T);
      } catch {
        // not ours: ignored
      }
    }
  }
}
