/**
 * The load process of scenario 7, separate from the servers it measures:
 * autocannon POSTs one JSON-RPC call over keep-alive connections, first a
 * warm-up, then the measured run. Around the measured run only, it reads the
 * CPU time of the given server processes from /proc, and its own. Prints one
 * JSON object.
 *
 *   node bench/dist/load.js --url URL --connections 64 --warmup-ms 1000 --duration-ms 3000 --pids 123,456
 *
 * Latencies are taken from autocannon's per-response times (fractional ms):
 * its histogram keeps whole milliseconds, too coarse for a sub-millisecond
 * gateway.
 */
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';

import { clockTicksPerSecond, cpuTicks } from './proc.js';
import { percentile } from './stats.js';

export const GREETING_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'plugin@helloworld_greeting',
  params: ['bench'],
});

interface Run {
  latenciesMs: number[];
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

function load(url: string, connections: number, durationMs: number, record: boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const latenciesMs: number[] = [];
    let ok = 0;
    let non2xx = 0;
    const t0 = performance.now();
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: GREETING_BODY,
        connections,
        duration: durationMs / 1000,
        // Generous: a stalled request is counted as a timeout, never waited for forever.
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          latenciesMs,
          ok,
          non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds: (performance.now() - t0) / 1000,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        if (record) latenciesMs.push(responseTime);
      } else non2xx++;
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      connections: { type: 'string', default: '1' },
      'warmup-ms': { type: 'string', default: '1000' },
      'duration-ms': { type: 'string', default: '3000' },
      pids: { type: 'string', default: '' },
    },
  });
  if (!values.url) throw new Error('--url is required');
  const connections = Number(values.connections);
  const pids = values.pids!.split(',').filter(Boolean).map(Number);
  await load(values.url, connections, Number(values['warmup-ms']), false);
  const before = pids.map(cpuTicks);
  const selfBefore = process.cpuUsage();
  const run = await load(values.url, connections, Number(values['duration-ms']), true);
  const self = process.cpuUsage(selfBefore);
  const after = pids.map(cpuTicks);
  const hz = clockTicksPerSecond();
  const cpu = Object.fromEntries(
    pids.map((pid, i) => {
      const a = after[i];
      const b = before[i];
      return [pid, a === undefined || b === undefined ? null : ((a - b) / hz) * 1e6];
    }),
  );
  const us = (p: number): number => percentile(run.latenciesMs, p) * 1000;
  const out = {
    connections,
    requests: run.ok,
    seconds: run.seconds,
    rps: run.ok / run.seconds,
    p50_us: us(0.5),
    p99_us: us(0.99),
    non2xx: run.non2xx,
    errors: run.errors,
    timeouts: run.timeouts,
    /** CPU µs of each pid during the measured run. */
    cpu_us: cpu,
    /** CPU µs of this load process during the measured run (it shares the machine with the servers). */
    load_cpu_us: self.user + self.system,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (process.argv[1]?.endsWith('load.js')) await main();
