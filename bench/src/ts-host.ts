/**
 * The TypeScript side of each host measurement: our PluginClient driving a
 * plugin (any language). Same commands, flags and JSON fields as the Go
 * reference (interop/go/bench), so the runner can interleave the two.
 *
 *   node ts-host.js start|latency|throughput|big|scale [-n N] [-warmup N] [-c 1,16,64]
 *     [-duration ms] [-size bytes] [-automtls=false] -- <plugin> [args]
 */
import { PluginClient } from '@qplugin/go-plugin/host';
import { createLogger } from '@qplugin/go-plugin/protocol';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { openFds, procStatusKB, sampleAnon, selfMaxRssKB } from './proc.js';
import type { Json } from './proc.js';
import { percentile } from './stats.js';

interface Options {
  n: number;
  warmup: number;
  autoMTLS: boolean;
  conc: number[];
  durationMs: number;
  size: number;
  cmd: string[];
}

const SMALL = 'Quorum';
/** Kills that needed SIGKILL after the grace period (the host warns "plugin failed to exit gracefully"). */
let ungraceful = 0;
/** Go's harness bounds every call with a 30 s context; same here (a deadline travels as grpc-timeout). */
const CALL = { deadline: 30_000 };

function parseArgs(argv: string[]): { sub: string; o: Options } {
  const [sub = '', ...rest] = argv;
  const o: Options = {
    n: 5,
    warmup: 1000,
    autoMTLS: true,
    conc: [1, 16, 64],
    durationMs: 2000,
    size: 1 << 20,
    cmd: [],
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') {
      o.cmd = rest.slice(i + 1);
      break;
    }
    const [flag, inline] = a.split('=', 2) as [string, string | undefined];
    const value = (): string => inline ?? rest[++i] ?? '';
    if (flag === '-n') o.n = Number(value());
    else if (flag === '-warmup') o.warmup = Number(value());
    else if (flag === '-automtls') o.autoMTLS = (inline ?? 'true') !== 'false';
    else if (flag === '-c') o.conc = value().split(',').map(Number);
    else if (flag === '-duration') o.durationMs = Number(value());
    else if (flag === '-size') o.size = Number(value());
    else throw new Error(`unknown flag ${a}`);
  }
  if (o.cmd.length === 0) throw new Error('missing plugin command after --');
  return { sub, o };
}

interface Started {
  client: PluginClient;
  /** Where calls are measured: the plugin's peak RssAnon so far (sampleAnon), as the Go harness. */
  anon?: () => number;
  greet: (msg: string) => Promise<string>;
  phases: Record<string, number>;
}

/** spawn → handshake → mTLS connection + health (start()) → Init, as the Go harness. */
async function startPlugin(o: Options): Promise<Started> {
  let handshakeAt = 0;
  // The host logs 'using plugin' right after parsing the handshake line: our phase mark.
  const logger = createLogger(
    (_level, message) => {
      if (message === 'using plugin') handshakeAt = performance.now();
      else if (message === 'plugin failed to exit gracefully') ungraceful++;
    },
    { level: 'debug' },
  );
  const t0 = performance.now();
  const client = new PluginClient({
    command: o.cmd[0]!,
    args: o.cmd.slice(1),
    handshake: QUORUM_HANDSHAKE,
    autoMTLS: o.autoMTLS,
    logger,
  });
  await client.start();
  const t1 = performance.now();
  await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') }, CALL);
  const t2 = performance.now();
  const greeting = client.client(PluginGreeting);
  return {
    client,
    greet: async (msg) => (await greeting.greeting({ msg }, CALL)).msg,
    phases: {
      handshake_ms: handshakeAt - t0,
      connect_health_ms: t1 - handshakeAt,
      init_ms: t2 - t1,
      ready_ms: t2 - t0,
    },
  };
}

async function stop(s: Started): Promise<Json> {
  const hwm = procStatusKB(s.client.pid, 'VmHWM');
  const anon = s.anon?.() ?? 0;
  const t = performance.now();
  await s.client.kill();
  return {
    plugin_hwm_kb: hwm,
    plugin_anon_peak_kb: anon,
    kill_ms: performance.now() - t,
    exited: s.client.hasExited,
  };
}

function percentiles(us: number[]): Json {
  return {
    calls: us.length,
    p50_us: percentile(us, 0.5),
    p90_us: percentile(us, 0.9),
    p99_us: percentile(us, 0.99),
    p999_us: percentile(us, 0.999),
    max_us: Math.max(...us),
    mean_us: us.reduce((a, b) => a + b, 0) / us.length,
  };
}

async function runStart(o: Options): Promise<Json> {
  const samples: Json[] = [];
  for (let i = 0; i < o.n; i++) {
    const s = await startPlugin(o);
    samples.push({ ...s.phases, ...(await stop(s)) });
  }
  return { samples };
}

async function runLatency(o: Options): Promise<Json> {
  const s = await startPlugin(o);
  s.anon = sampleAnon(s.client.pid);
  const want = `Hello ${SMALL}!`;
  for (let i = 0; i < o.warmup; i++) await s.greet(SMALL);
  const us: number[] = [];
  for (let i = 0; i < o.n; i++) {
    const t = performance.now();
    const got = await s.greet(SMALL);
    us.push((performance.now() - t) * 1000);
    if (got !== want) throw new Error(`call ${i}: ${got}`);
  }
  return { ...percentiles(us), ...(await stop(s)) };
}

/** Keeps c calls in flight for ms; completed calls per second. */
async function closedLoop(s: Started, c: number, ms: number): Promise<{ perSec: number; calls: number }> {
  let calls = 0;
  const t0 = performance.now();
  const stopAt = t0 + ms;
  const worker = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      await s.greet(SMALL);
      calls++;
    }
  };
  await Promise.all(Array.from({ length: c }, worker));
  return { perSec: calls / ((performance.now() - t0) / 1000), calls };
}

async function runThroughput(o: Options): Promise<Json> {
  const s = await startPlugin(o);
  s.anon = sampleAnon(s.client.pid);
  const rates: Json[] = [];
  for (const c of o.conc) {
    await closedLoop(s, c, o.durationMs / 4);
    const r = await closedLoop(s, c, o.durationMs);
    rates.push({ concurrency: c, calls: r.calls, per_sec: r.perSec });
  }
  return { rates, ...(await stop(s)) };
}

async function runBig(o: Options): Promise<Json> {
  const s = await startPlugin(o);
  s.anon = sampleAnon(s.client.pid);
  const msg = 'x'.repeat(o.size);
  const want = msg.length + 'Hello !'.length;
  const us: number[] = [];
  for (let i = -2; i < o.n; i++) {
    const t = performance.now();
    const got = await s.greet(msg);
    if (got.length !== want) throw new Error(`big call ${i}: ${got.length} bytes`);
    if (i >= 0) us.push((performance.now() - t) * 1000);
  }
  return { ...percentiles(us), size: o.size, ...(await stop(s)) };
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** o.n plugins started at once: time to all ready, host cost per live plugin, kill all at once. */
async function runScale(o: Options): Promise<Json> {
  gc();
  const rss0 = procStatusKB('self', 'VmRSS');
  const fds0 = openFds();
  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: o.n }, () => startPlugin(o)));
  const readyMs = performance.now() - t0;
  gc();
  const rss1 = procStatusKB('self', 'VmRSS');
  const fds1 = openFds();
  const live = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failedErr = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const pluginRss = live.reduce((sum, s) => sum + procStatusKB(s.client.pid, 'VmRSS'), 0);
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  let killMaxMs = 0;
  await Promise.all(
    live.map(async (s) => {
      await s.client.kill();
      killMaxMs = Math.max(killMaxMs, performance.now() - t1);
    }),
  );
  const killMs = performance.now() - t1;
  const killCpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, 200)); // closed sockets release their fds
  const per = (d: number): number => (live.length ? d / live.length : 0);
  const alive = live.filter((s) => {
    try {
      process.kill(s.client.pid, 0);
      return true;
    } catch {
      return false;
    }
  }).length;
  return {
    plugins: o.n,
    ready: live.length,
    failed: o.n - live.length,
    first_error: failedErr ? String((failedErr.reason as Error).message ?? failedErr.reason) : '',
    all_ready_ms: readyMs,
    kill_all_ms: killMs,
    kill_max_ms: killMaxMs,
    // user + system, all threads: the event loop's share of the 2 cores the plugins exit on
    kill_cpu_ms: (killCpu.user + killCpu.system) / 1000,
    exited: live.filter((s) => s.client.hasExited).length,
    alive_after_kill: alive,
    host_rss_kb_before: rss0,
    host_rss_kb_live: rss1,
    host_rss_kb_per_plugin: per(rss1 - rss0),
    fds_before: fds0,
    fds_live: fds1,
    fds_after_kill: openFds(),
    fds_per_plugin: per(fds1 - fds0),
    plugin_rss_kb_total: pluginRss,
  };
}

const COMMANDS: Record<string, (o: Options) => Promise<Json>> = {
  start: runStart,
  latency: runLatency,
  throughput: runThroughput,
  big: runBig,
  scale: runScale,
};

const { sub, o } = parseArgs(process.argv.slice(2));
const command = COMMANDS[sub];
if (!command) throw new Error(`unknown command ${sub}`);
const selfAnon = sampleAnon('self');
const out = await command(o);
// Exit once written (a pipe write can be asynchronous): nothing else should keep us alive anyway.
process.stdout.write(
  JSON.stringify({
    ...out,
    harness: 'ts',
    node: process.version,
    host_maxrss_kb: selfMaxRssKB(),
    host_anon_peak_kb: selfAnon(),
    ungraceful_kills: ungraceful,
  }) + '\n',
  () => process.exit(0),
);
