// Experiment (not part of `npm run bench`): a CPU profile of the TS host's
// event loop during kill() of N plugins at once (scenario 5), started and
// stopped around the kill only (node:inspector in process), plus the wall time.
//   node --max-semi-space-size=4 bench/experiments/kill-profile.mjs N OUT.cpuprofile -- plugin [args]
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

import { PluginClient } from '@qplugin/go-plugin/host';
import { PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

const [n, out, , ...cmd] = process.argv.slice(2);
const clients = await Promise.all(
  Array.from({ length: Number(n) }, async () => {
    const client = new PluginClient({ command: cmd[0], args: cmd.slice(1), handshake: QUORUM_HANDSHAKE });
    await client.start();
    await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
    return client;
  }),
);
await new Promise((r) => setTimeout(r, 500));
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const t0 = performance.now();
await Promise.all(clients.map((c) => c.kill()));
const ms = performance.now() - t0;
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
console.log(`kill of ${n}: ${ms.toFixed(1)} ms`);
