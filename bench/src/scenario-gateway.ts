/**
 * Scenario 7: the JSON-RPC gateway under HTTP load. `qplugin run` vs the Go
 * reference gateway (net/http + encoding/json + go-plugin v1.2.2, one
 * process), both hosting the same Go hello world plugin, both answering
 * `plugin@helloworld_greeting`. A separate load process (autocannon, on the
 * Node running the bench, the same for both) keeps 1, 16 and 64 connections
 * busy; per round and connection count the two gateways run back to back, in
 * alternating order. Measured: req/s, p50 and p99 latency, and the gateway
 * process's CPU time per request (/proc/<pid>/stat before and after the
 * measured run; the plugin's, the same Go program on both sides, in details).
 * A third side, `qplugin run --metrics` (Prometheus metrics of every JSON-RPC
 * and gRPC call, the metrics listener up but not scraped), runs in the same
 * rotation: what the metrics cost, as a ratio to `qplugin run` without them.
 * Both are started as users start them, `node qplugin.mjs run …`: on Node 24
 * `run` restarts itself with the young-generation cap, on Node 20 it runs
 * without it (details.qpluginRunNodeFlags says which).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Metric, ScenarioResult, Settings } from './common.js';
import { metric, num } from './common.js';
import type { GatewayServer } from './gateways.js';
import { probe, runsOn, startGoGateway, startQpluginRun } from './gateways.js';
import { BENCH } from './prepare.js';
import type { Peers } from './prepare.js';
import { runHarness } from './proc.js';
import type { Json } from './proc.js';
import { median, round } from './stats.js';

const REF = 'Go gateway (net/http, go-plugin v1.2.2)';
const NO_METRICS = 'qplugin run without --metrics';
const CONNECTIONS = [1, 16, 64];
type Side = 'ts' | 'go' | 'tsm';
const SIDES: readonly Side[] = ['ts', 'go', 'tsm'];
const SIDE_NAMES: Record<Side, string> = {
  ts: 'qplugin run',
  go: 'Go gateway',
  tsm: 'qplugin run --metrics',
};

async function loadRun(s: GatewayServer, connections: number, warmupMs: number, durationMs: number) {
  const { json } = await runHarness(process.execPath, [
    join(BENCH, 'dist', 'load.js'),
    '--url',
    s.url,
    '--connections',
    String(connections),
    '--warmup-ms',
    String(warmupMs),
    '--duration-ms',
    String(durationMs),
    '--pids',
    `${s.pid},${s.pluginPid}`,
  ]);
  const cpu = json.cpu_us as Record<string, number | null>;
  const requests = num(json, 'requests');
  const perRequest = (pid: number): number => {
    const us = cpu[String(pid)];
    if (typeof us !== 'number' || requests === 0) throw new Error(`no CPU time for pid ${pid}`);
    return us / requests;
  };
  const gateway = perRequest(s.pid);
  const plugin = perRequest(s.pluginPid);
  return {
    ...json,
    gateway_cpu_us_per_req: gateway,
    plugin_cpu_us_per_req: plugin,
    // The plugin's share depends on the client calling it (framing, batching), so the pair is the server.
    server_cpu_us_per_req: gateway + plugin,
    load_cpu_us_per_req: num(json, 'load_cpu_us') / requests,
  } as Json;
}

export async function scenarioGateway(peers: Peers, s: Settings): Promise<ScenarioResult> {
  const warmupMs = s.quick ? 150 : 1000;
  const durationMs = s.quick ? 300 : 3000;
  const dir = mkdtempSync(join(tmpdir(), 'qplugin-bench-gw-'));
  const servers: Partial<Record<Side, GatewayServer>> = {};
  try {
    servers.ts = await startQpluginRun(peers, join(dir, 'plain'));
    servers.tsm = await startQpluginRun(
      peers,
      join(dir, 'metrics'),
      [],
      ['--metrics', '--metrics.port', '0'],
    );
    servers.go = await startGoGateway(peers);
    for (const side of SIDES) await probe(servers[side]!.url);
    for (const side of ['ts', 'tsm'] as const) {
      if (!runsOn(servers[side]!, peers.runtime.node)) {
        throw new Error(`qplugin run runs ${servers[side]!.exe}, not ${peers.runtime.node}`);
      }
    }

    const runs: Record<Side, Record<number, Json[]>> = { ts: {}, go: {}, tsm: {} };
    for (let r = 0; r < s.rounds; r++) {
      for (const c of CONNECTIONS) {
        // Rotate the three sides so that none always runs first on a warming or throttling machine.
        const shift = (r + CONNECTIONS.indexOf(c)) % SIDES.length;
        const order = SIDES.map((_, i) => SIDES[(i + shift) % SIDES.length]!);
        for (const side of order) {
          s.log(`  round ${r + 1}/${s.rounds}: ${SIDE_NAMES[side]}, ${c} conn.`);
          (runs[side][c] ??= []).push(await loadRun(servers[side]!, c, warmupMs, durationMs));
        }
      }
    }
    const peak = { ts: servers.ts.peakKB(), go: servers.go.peakKB(), tsm: servers.tsm.peakKB() };
    const exits = { ts: await servers.ts.stop(), go: await servers.go.stop(), tsm: await servers.tsm.stop() };

    const series = (side: Side, c: number, key: string): number[] => runs[side][c]!.map((j) => num(j, key));
    const metrics: Metric[] = [];
    for (const c of CONNECTIONS) {
      const pair = (id: string, label: string, unit: string, key: string): Metric =>
        metric({
          id: `s7.${id}.c${c}`,
          label: `${label}, ${c} connection${c === 1 ? '' : 's'}: qplugin run vs Go gateway`,
          unit,
          ts: series('ts', c, key),
          ref: series('go', c, key),
          refLabel: REF,
        });
      metrics.push(
        pair('rps', 'requests/s', 'req/s', 'rps'),
        pair('p50', 'latency p50', 'µs', 'p50_us'),
        pair('p99', 'latency p99', 'µs', 'p99_us'),
        pair('cpu', 'gateway CPU per request', 'µs', 'gateway_cpu_us_per_req'),
        pair('servercpu', 'gateway + plugin CPU per request', 'µs', 'server_cpu_us_per_req'),
      );
    }
    // What --metrics costs: the same gateway with and without, in the same rounds.
    for (const c of CONNECTIONS) {
      const cost = (id: string, label: string, unit: string, key: string): Metric =>
        metric({
          id: `s7.metrics.${id}.c${c}`,
          label: `${label}, ${c} connection${c === 1 ? '' : 's'}: qplugin run --metrics vs without`,
          unit,
          ts: series('tsm', c, key),
          ref: series('ts', c, key),
          refLabel: NO_METRICS,
        });
      metrics.push(
        cost('rps', 'requests/s', 'req/s', 'rps'),
        cost('cpu', 'gateway CPU per request', 'µs', 'gateway_cpu_us_per_req'),
      );
    }
    const failures = (side: Side): number =>
      CONNECTIONS.flatMap((c) => runs[side][c]!).reduce(
        (n, j) => n + num(j, 'non2xx') + num(j, 'errors') + num(j, 'timeouts'),
        0,
      );
    const medians = (key: string): Json =>
      Object.fromEntries(
        (['ts', 'go'] as const).map((side) => [
          side,
          Object.fromEntries(CONNECTIONS.map((c) => [`c${c}`, round(median(series(side, c, key)), 1)])),
        ]),
      );
    const perConnections = (side: Side, key: string): Json =>
      Object.fromEntries(CONNECTIONS.map((c) => [`c${c}`, series(side, c, key).map((x) => round(x, 1))]));
    return {
      id: 's7',
      title: 'JSON-RPC gateway under HTTP load (autocannon → gateway → Go plugin)',
      completed: true,
      metrics,
      memory: [
        { label: 'qplugin run (gateway / its Go plugin)', hostKB: peak.ts.gateway, pluginKB: peak.ts.plugin },
        { label: `${REF} (gateway / its Go plugin)`, hostKB: peak.go.gateway, pluginKB: peak.go.plugin },
        {
          label: 'qplugin run --metrics (gateway / its Go plugin)',
          hostKB: peak.tsm.gateway,
          pluginKB: peak.tsm.plugin,
        },
      ],
      details: {
        warmupMs,
        durationMs,
        qpluginRunExecutable: servers.ts.exe,
        // Started as users start it; on a Node with process.execve it restarted itself with the cap.
        qpluginRunNodeFlags: servers.ts.nodeFlags,
        failedRequests: { ts: failures('ts'), go: failures('go'), tsm: failures('tsm') },
        exitCodes: exits,
        pluginCpuUsPerRequest: medians('plugin_cpu_us_per_req'),
        // The load process shares the 2 cores with both servers: what it takes per request, per side.
        loadCpuUsPerRequest: medians('load_cpu_us_per_req'),
        perRound: {
          'qplugin run': {
            rps: perConnections('ts', 'rps'),
            cpu_us_per_req: perConnections('ts', 'gateway_cpu_us_per_req'),
          },
          'Go gateway': {
            rps: perConnections('go', 'rps'),
            cpu_us_per_req: perConnections('go', 'gateway_cpu_us_per_req'),
          },
          'qplugin run --metrics': {
            rps: perConnections('tsm', 'rps'),
            cpu_us_per_req: perConnections('tsm', 'gateway_cpu_us_per_req'),
          },
        },
      },
    };
  } finally {
    await Promise.allSettled([servers.ts?.stop(), servers.go?.stop(), servers.tsm?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
