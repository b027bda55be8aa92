// Experiment (not part of `npm run bench`): the landed protocol/h2 client
// against node:http2, both under our typed client (`createClient`), on one Go
// plugin started by PluginClient, interleaved in rounds: sequential p50/p99,
// calls/s at 64 in flight, CPU µs per call. The Go host harness on the same
// plugin binary is the yardstick (run it before and after).
//   node bench/experiments/h2-transport.mjs [rounds] -- <plugin> [args]
//   bench/dist/cache/gobench latency -n 5000 -- <plugin>; ... throughput -c 64 -duration 2s -- <plugin>
import { createClient, dialChannel } from '@qplugin/go-plugin/internal';
import { PluginGreeting } from '@qplugin/quorum/plugin';

import { startWithTls } from './raw-access.mjs';

const sep = process.argv.indexOf('--');
const rounds = Number(process.argv[2] && sep !== 2 ? process.argv[2] : 3);
const [command, ...args] = process.argv.slice(sep + 1);
const { client, rc, tls } = await startWithTls(command, args);

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function measure(transport) {
  const channel = dialChannel(rc.addr, tls, { transport });
  const greeter = createClient(PluginGreeting, channel);
  for (let i = 0; i < 1000; i++) await greeter.greeting({ msg: 'Quorum' });
  const lat = [];
  let c0 = cpu();
  for (let i = 0; i < 5000; i++) {
    const t = performance.now();
    await greeter.greeting({ msg: 'Quorum' });
    lat.push((performance.now() - t) * 1000);
  }
  const seqCpu = (cpu() - c0) / 5000;
  lat.sort((a, b) => a - b);
  let calls = 0;
  const end = performance.now() + 2000;
  c0 = cpu();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < end) {
        await greeter.greeting({ msg: 'Quorum' });
        calls++;
      }
    }),
  );
  const c64Cpu = (cpu() - c0) / calls;
  channel.close();
  return { p50: pct(lat, 50), p99: pct(lat, 99), c64: calls / 2, seqCpu, c64Cpu };
}

const rows = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['node-http2', 'h2'] : ['h2', 'node-http2'];
  for (const transport of order) {
    const m = await measure(transport);
    rows.push({ round: r + 1, transport, ...m });
    console.log(
      `round ${r + 1} ${transport.padEnd(10)} p50 ${m.p50.toFixed(0)} µs  p99 ${m.p99.toFixed(0)} µs  64 in flight ${m.c64.toFixed(0)}/s  CPU/call ${m.seqCpu.toFixed(0)} / ${m.c64Cpu.toFixed(0)} µs`,
    );
  }
}
await client.kill();
console.log(`node ${process.version}, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
