/**
 * Prometheus metrics of a plugin host, on prom-client: each provider's
 * process (up, state, starts, restarts, last exit, memory, CPU), every gRPC
 * call the host makes to a plugin, every JSON-RPC call the gateway answers,
 * distributions obtained, and Node's own runtime metrics. One registry that
 * `qplugin run --metrics` serves and an embedding application can mount.
 *
 * Fed by the manager (as its {@link ManagerObserver}) and the gateway (its
 * `observer`); process state is read when scraped.
 */
import { constants } from 'node:os';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallEvent, PluginSupervisor, StartReason, SupervisorState } from '@qplugin/go-plugin/host';
import { goCodeName } from '@qplugin/go-plugin/internal';

import type { ManagerObserver, ObtainedDistribution, PluginManager, ProviderRef } from '../manager/index.js';
import type { ProviderInfo } from '../manager/index.js';
import type { GatewayCallEvent, GatewayObserver } from '../rpc/index.js';
import { INTERFACE_NAMES } from '../settings/types.js';
import { LatencyHistory } from './history.js';
import type { HistorySample } from './history.js';
import { localCounter, LocalHistogram } from './local-series.js';
import type { CounterSeries, CounterSeriesSet, HistogramSeries } from './local-series.js';
import { processStats } from './proc-stats.js';

/** Call latency buckets, seconds: 100 µs to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Plugin start buckets, seconds: 10 ms to 60 s (a reload includes verification and unpacking). */
export const START_BUCKETS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const SUPERVISOR_STATES: readonly SupervisorState[] = [
  'new',
  'starting',
  'ready',
  'restarting',
  'failed',
  'stopped',
];

/** The `method` label of JSON-RPC calls to methods the gateway does not serve. */
export const UNKNOWN_METHOD = '(unknown)';

export interface HostMetricsOptions {
  /** Register here (e.g. prom-client's global `register`). Default: a registry of its own. */
  registry?: Registry;
  /** Node's runtime metrics (prom-client's default metrics: event-loop delay, heap, GC, CPU). Default true. */
  runtime?: boolean;
  /** Prefix of every metric name but the runtime ones. Default `qplugin_`. */
  prefix?: string;
  /** Samples of calls/s and p99 kept per provider for the status page. Default 60. */
  historySize?: number;
  /** Wall clock, epoch ms (tests inject one). */
  now?: () => number;
}

/** What the host knows about a provider beyond the manager's info. */
export interface ProviderActivity {
  /** When the current process became ready (epoch ms); null when none is. */
  readyAt: number | null;
  history: readonly HistorySample[];
}

type Labels = { provider: string; plugin: string };

/** A gRPC method's series for one provider: its latency, and its calls by status code. */
interface MethodSeries {
  latency: HistogramSeries;
  handled: Map<number, CounterSeries>;
}

/** A JSON-RPC method's series: requests, latency, and errors by JSON-RPC error code. */
interface RpcSeries {
  requests: CounterSeries;
  latency: HistogramSeries;
  errors: Map<number, CounterSeries>;
}

/** A process exit as one number: its code, or 128 + the signal number as shells say it; -1 when unknown. */
export function exitStatus(exit: { code: number | null; signal: NodeJS.Signals | null }): number {
  if (exit.code !== null) return exit.code;
  if (exit.signal) return 128 + (constants.signals[exit.signal] ?? 0);
  return -1;
}

/** How a start is labelled: the first `start`, an automatic restart after a `crash`, or a requested `reload`. */
function startLabel(reason: StartReason | undefined): 'start' | 'crash' | 'reload' {
  return reason === 'recover' ? 'crash' : reason === 'restart' ? 'reload' : 'start';
}

function splitPath(path: string): { grpc_service: string; grpc_method: string } {
  const slash = path.lastIndexOf('/');
  return { grpc_service: path.slice(1, slash), grpc_method: path.slice(slash + 1) };
}

class ProviderTrack {
  readonly labels: Labels;
  readyAt: number | null = null;
  startingAt: number | undefined;
  startReason: StartReason | undefined;
  readonly history: LatencyHistory;
  readonly methods = new Map<string, MethodSeries>();
  cpuPid = 0;
  cpuSeconds = 0;

  constructor(ref: ProviderRef, historySize: number) {
    this.labels = { provider: ref.provider, plugin: ref.plugin };
    this.history = new LatencyHistory(LATENCY_BUCKETS, historySize);
  }
}

export class HostMetrics implements ManagerObserver {
  readonly registry: Registry;
  private readonly now: () => number;
  private readonly historySize: number;
  private readonly tracks = new Map<string, ProviderTrack>();
  private manager: PluginManager | undefined;

  private readonly up: Gauge;
  private readonly state: Gauge;
  private readonly info: Gauge;
  private readonly startDuration: Histogram;
  private readonly restarts: Counter;
  private readonly lastExitStatus: Gauge;
  private readonly lastExitTime: Gauge;
  private readonly processStart: Gauge;
  private readonly rss: Gauge;
  private readonly cpu: Counter;
  // The per-call series are counted locally (local-series.ts) and handed to prom-client when scraped.
  private readonly grpcHandled: CounterSeriesSet<string>;
  private readonly grpcLatency: LocalHistogram<string>;
  private readonly rpcRequests: CounterSeriesSet<string>;
  private readonly rpcErrors: CounterSeriesSet<string>;
  private readonly rpcLatency: LocalHistogram<string>;
  private readonly verified: Counter;
  private readonly obtainFailures: Counter;
  private readonly downloaded: Counter;
  private readonly rpcMethods = new Map<string, RpcSeries>();

  constructor(options: HostMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.now = options.now ?? Date.now;
    this.historySize = options.historySize ?? 60;
    const p = options.prefix ?? 'qplugin_';
    const registers = [this.registry];
    const provider = ['provider', 'plugin'] as const;
    const collectProviders = (): void => this.collectProviders();

    this.up = new Gauge({
      name: `${p}plugin_up`,
      help: 'Whether the provider’s plugin process is ready for calls (1) or not (0).',
      labelNames: provider,
      registers,
      // Registered first: the provider gauges below are set before they are read.
      collect: collectProviders,
    });
    this.state = new Gauge({
      name: `${p}plugin_state`,
      help: 'The provider’s supervision state: 1 for the current one (new, starting, ready, restarting, failed, stopped).',
      labelNames: [...provider, 'state'],
      registers,
    });
    this.info = new Gauge({
      name: `${p}plugin_info`,
      help: 'The plugin distribution a provider runs (always 1).',
      labelNames: [...provider, 'version'],
      registers,
    });
    this.startDuration = new Histogram({
      name: `${p}plugin_start_duration_seconds`,
      help: 'From starting a plugin process to ready (Init included; a reload also obtains, verifies and unpacks).',
      labelNames: [...provider, 'reason'],
      buckets: [...START_BUCKETS],
      registers,
    });
    this.restarts = new Counter({
      name: `${p}plugin_restarts_total`,
      help: 'Plugin processes started again: reason="crash" (automatic, after a failure) or "reload" (requested).',
      labelNames: [...provider, 'reason'],
      registers,
    });
    this.lastExitStatus = new Gauge({
      name: `${p}plugin_last_exit_status`,
      help: 'Exit status of the provider’s last plugin process to end: its code, or 128 + the signal number.',
      labelNames: provider,
      registers,
    });
    this.lastExitTime = new Gauge({
      name: `${p}plugin_last_exit_timestamp_seconds`,
      help: 'When the provider’s last plugin process ended (Unix time).',
      labelNames: provider,
      registers,
    });
    this.processStart = new Gauge({
      name: `${p}plugin_process_start_time_seconds`,
      help: 'When the provider’s current plugin process became ready (Unix time).',
      labelNames: provider,
      registers,
    });
    this.rss = new Gauge({
      name: `${p}plugin_process_resident_memory_bytes`,
      help: 'Resident memory of the provider’s plugin process (Linux only).',
      labelNames: provider,
      registers,
    });
    this.cpu = new Counter({
      name: `${p}plugin_process_cpu_seconds_total`,
      help: 'User and system CPU time of the provider’s plugin processes, summed over restarts (Linux only).',
      labelNames: provider,
      registers,
    });
    this.grpcHandled = localCounter({
      name: `${p}grpc_client_handled_total`,
      help: 'gRPC calls from the host to plugins, by final status code (calls the host failed itself included).',
      labelNames: [...provider, 'grpc_service', 'grpc_method', 'grpc_code'],
      registers,
    });
    this.grpcLatency = new LocalHistogram({
      name: `${p}grpc_client_handling_seconds`,
      help: 'gRPC calls from the host to plugins: time from the call to its status.',
      labelNames: [...provider, 'grpc_service', 'grpc_method'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.rpcRequests = localCounter({
      name: `${p}jsonrpc_requests_total`,
      help: `JSON-RPC calls answered by the gateway (each call of a batch); method="${UNKNOWN_METHOD}" for methods it does not serve.`,
      labelNames: ['method'],
      registers,
    });
    this.rpcErrors = localCounter({
      name: `${p}jsonrpc_errors_total`,
      help: 'JSON-RPC calls answered with an error, by JSON-RPC error code.',
      labelNames: ['method', 'code'],
      registers,
    });
    this.rpcLatency = new LocalHistogram({
      name: `${p}jsonrpc_request_duration_seconds`,
      help: 'JSON-RPC calls: time from dispatch to answer (authentication and the plugin call included).',
      labelNames: ['method'],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    this.verified = new Counter({
      name: `${p}distribution_verified_total`,
      help: 'Plugin distributions whose signature was checked and accepted.',
      labelNames: provider,
      registers,
    });
    this.obtainFailures = new Counter({
      name: `${p}distribution_failures_total`,
      help: 'Failures to locate, download, verify or unpack a plugin distribution, by error code.',
      labelNames: [...provider, 'code'],
      registers,
    });
    this.downloaded = new Counter({
      name: `${p}distribution_downloaded_bytes_total`,
      help: 'Bytes of plugin distributions downloaded from Plugin Central.',
      labelNames: provider,
      registers,
    });
    if (options.runtime ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Reads each provider's state from `manager` when scraped; call once, with the manager this observes. */
  attach(manager: PluginManager): void {
    this.manager = manager;
    for (const name of INTERFACE_NAMES) {
      const info = manager.pluginsInfo()[name];
      if (info) this.track({ provider: name, plugin: info.name, version: info.version });
    }
  }

  private track(ref: ProviderRef): ProviderTrack {
    let t = this.tracks.get(ref.provider);
    if (!t) {
      t = new ProviderTrack(ref, this.historySize);
      this.tracks.set(ref.provider, t);
      this.info.set({ ...t.labels, version: ref.version }, 1);
    }
    return t;
  }

  // ---- ManagerObserver -----------------------------------------------------

  supervising(ref: ProviderRef, supervisor: PluginSupervisor): void {
    const t = this.track(ref);
    const labels = t.labels;
    supervisor.on('starting', ({ reason }) => {
      t.startingAt = performance.now();
      t.startReason = reason;
      if (reason !== 'start') this.restarts.inc({ ...labels, reason: startLabel(reason) });
    });
    supervisor.on('ready', () => {
      if (t.startingAt !== undefined) {
        this.startDuration.observe(
          { ...labels, reason: startLabel(t.startReason) },
          (performance.now() - t.startingAt) / 1000,
        );
      }
      t.startingAt = undefined;
      t.readyAt = this.now();
      this.processStart.set(labels, t.readyAt / 1000);
    });
    supervisor.on('exited', ({ exit }) => {
      t.readyAt = null;
      this.processStart.remove(labels);
      this.lastExitStatus.set(labels, exitStatus(exit));
      this.lastExitTime.set(labels, this.now() / 1000);
    });
  }

  call(ref: ProviderRef, event: CallEvent): void {
    const t = this.tracks.get(ref.provider) ?? this.track(ref);
    let m = t.methods.get(event.method);
    if (!m) {
      m = {
        latency: this.grpcLatency.series({ ...t.labels, ...splitPath(event.method) }),
        handled: new Map(),
      };
      t.methods.set(event.method, m);
    }
    let handled = m.handled.get(event.code);
    if (!handled) {
      handled = this.grpcHandled.series({
        ...t.labels,
        ...splitPath(event.method),
        grpc_code: goCodeName(event.code),
      });
      m.handled.set(event.code, handled);
    }
    const seconds = event.durationMs / 1000;
    handled.inc();
    m.latency.observe(seconds);
    t.history.record(seconds);
  }

  obtained(ref: ProviderRef, result: ObtainedDistribution): void {
    const { labels } = this.track(ref);
    if (result.verified) this.verified.inc(labels);
    if (result.bytesDownloaded > 0) this.downloaded.inc(labels, result.bytesDownloaded);
  }

  obtainFailed(ref: ProviderRef, code: string): void {
    this.obtainFailures.inc({ ...this.track(ref).labels, code });
  }

  // ---- the gateway ----------------------------------------------------------

  /** The JSON-RPC gateway's observer (`startRpcEndpoint(manager, { observer: metrics.gateway })`). */
  readonly gateway: GatewayObserver = (event: GatewayCallEvent): void => {
    const method = event.method ?? UNKNOWN_METHOD;
    let s = this.rpcMethods.get(method);
    if (!s) {
      s = {
        requests: this.rpcRequests.series({ method }),
        latency: this.rpcLatency.series({ method }),
        errors: new Map(),
      };
      this.rpcMethods.set(method, s);
    }
    s.requests.inc();
    s.latency.observe(event.durationMs / 1000);
    const code = event.code;
    if (code !== undefined) {
      let errors = s.errors.get(code);
      if (!errors) {
        errors = this.rpcErrors.series({ method, code: String(code) });
        s.errors.set(code, errors);
      }
      errors.inc();
    }
  };

  // ---- scrape time and the status page ------------------------------------------

  private providerInfos(): [ProviderTrack, ProviderInfo][] {
    const infos = this.manager?.pluginsInfo();
    if (!infos) return [];
    const out: [ProviderTrack, ProviderInfo][] = [];
    for (const name of INTERFACE_NAMES) {
      const info = infos[name];
      if (info) out.push([this.track({ provider: name, plugin: info.name, version: info.version }), info]);
    }
    return out;
  }

  /** State, up, memory and CPU of every provider, read now. */
  private collectProviders(): void {
    for (const [t, info] of this.providerInfos()) {
      const labels = t.labels;
      this.up.set(labels, info.state === 'ready' ? 1 : 0);
      for (const s of SUPERVISOR_STATES) this.state.set({ ...labels, state: s }, s === info.state ? 1 : 0);
      const stats = info.pid === null ? undefined : processStats(info.pid);
      if (!stats || info.pid === null) {
        this.rss.remove(labels);
        continue;
      }
      this.rss.set(labels, stats.residentBytes);
      // One counter across processes: a new pid's time counts from 0.
      const before = t.cpuPid === info.pid ? t.cpuSeconds : 0;
      if (stats.cpuSeconds > before) this.cpu.inc(labels, stats.cpuSeconds - before);
      t.cpuPid = info.pid;
      t.cpuSeconds = stats.cpuSeconds;
    }
  }

  /** Takes one sample of calls/s and p99 per provider (the status page's chart). */
  sample(at: number = this.now()): void {
    for (const t of this.tracks.values()) t.history.sample(at);
  }

  /** For the status page: per provider, when its process became ready and its recent samples. */
  activity(provider: string): ProviderActivity {
    const t = this.tracks.get(provider);
    return { readyAt: t?.readyAt ?? null, history: t ? t.history.samples() : [] };
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The manager this reads provider state from, once attached. */
  get attached(): PluginManager | undefined {
    return this.manager;
  }
}
