// Experiment (not part of `npm run bench`): when each phase of kill() of N
// plugins at once happens, per plugin, as ms after the kill began: the child's
// exit event, its stdio closing, kill() resolving; and how busy the event loop
// was (event-loop utilization) and the process's CPU time over the kill.
//   node --expose-gc --max-semi-space-size=4 bench/experiments/kill-phases.mjs N -- plugin [args]
// WAIT_MS: idle time before the kill (to attach `perf record -p` meanwhile);
// MARK=1 prints CLOCK_MONOTONIC at the kill's start and end (for `perf record
// -k CLOCK_MONOTONIC` and `perf report --time`); NOSTACK=1 captures no stack
// traces during the kill (what Error stacks cost); PROFILE=out.cpuprofile writes
// a CPU profile of the kill alone (node:inspector in process; the profiler's
// overhead lengthens the kill). bench/findings.md §16, §24, §28, §30.
// Host and plugins on separate cores (§30: the kill without preemption), the Go
// host alike for comparison:
//   taskset -c 0 node --expose-gc --max-semi-space-size=4 bench/experiments/kill-phases.mjs 100 -- \
//     taskset -c 1 interop/go/bin/v1.8.0/plugin
//   taskset -c 0 bench/dist/cache/gobench scale -n 100 -- taskset -c 1 interop/go/bin/v1.8.0/plugin
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';

import { PluginClient } from '@qplugin/go-plugin/host';
import { QUORUM_HANDSHAKE as HANDSHAKE } from '@qplugin/quorum/plugin';

const [n, , ...cmd] = process.argv.slice(2);
const clients = await Promise.all(
  Array.from({ length: Number(n) }, async () => {
    const client = new PluginClient({ command: cmd[0], args: cmd.slice(1), handshake: HANDSHAKE });
    await client.start();
    return client;
  }),
);
await new Promise((r) => setTimeout(r, Number(process.env.WAIT_MS ?? 500)));
(globalThis.gc ?? (() => {}))(); // as the bench's S5 does before the kill
if (process.env.NOSTACK) Error.stackTraceLimit = 0;
const marks = clients.map(() => ({}));
const session = process.env.PROFILE ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}
if (process.env.MARK) console.log('KILL BEGIN', process.hrtime.bigint());
const t0 = performance.now();
const elu0 = performance.eventLoopUtilization();
const cpu0 = process.cpuUsage();
clients.forEach((c, i) => {
  const proc = c['proc'];
  proc.exited.then(() => (marks[i].exit = performance.now() - t0));
  proc.closed.then(() => (marks[i].close = performance.now() - t0));
});
await Promise.all(clients.map((c, i) => c.kill().then(() => (marks[i].done = performance.now() - t0))));
const ms = performance.now() - t0;
if (process.env.MARK) console.log('KILL END', process.hrtime.bigint());
const elu = performance.eventLoopUtilization(elu0);
const cpu = process.cpuUsage(cpu0);
if (session)
  writeFileSync(process.env.PROFILE, JSON.stringify((await session.post('Profiler.stop')).profile));
const q = (k) => {
  const v = marks.map((m) => m[k]).sort((a, b) => a - b);
  return `${k} first ${v[0].toFixed(1)} median ${v[v.length >> 1].toFixed(1)} last ${v[v.length - 1].toFixed(1)}`;
};
console.log(
  `kill of ${n}: ${ms.toFixed(1)} ms, event loop busy ${(elu.utilization * 100).toFixed(0)}% (${elu.active.toFixed(1)} ms), host CPU user ${(cpu.user / 1000).toFixed(1)} + system ${(cpu.system / 1000).toFixed(1)} ms`,
);
console.log([q('exit'), q('close'), q('done')].join('\n'));
