// Experiment (not part of `npm run bench`): a CPU profile of the first
// PluginClient.start() in a process (the harness's S1 "first start"), split
// at the host's 'using plugin' log line (handshake parsed): what the event
// loop runs while the plugin boots, and what it runs from the handshake until
// start() resolves (connect, TLS, health), by self time: the samples of
// HANDSHAKE_MARK (a 2 ms spin at the log line) split the profile.
//   node --max-semi-space-size=4 bench/experiments/first-start-profile.mjs OUT.cpuprofile -- plugin [args]
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

import { createLogger, PluginClient } from '@qplugin/go-plugin/host';
import { PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

const [out, , ...cmd] = process.argv.slice(2);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
let handshakeAt = 0;
/** Spins 2 ms: its samples mark the handshake in the profile. */
function HANDSHAKE_MARK() {
  const end = performance.now() + 2;
  while (performance.now() < end);
}
const logger = createLogger(
  (_level, message) => {
    if (message === 'using plugin') {
      handshakeAt = performance.now();
      HANDSHAKE_MARK();
    }
  },
  { level: 'debug' },
);
await session.post('Profiler.start');
const t0 = performance.now();
const client = new PluginClient({ command: cmd[0], args: cmd.slice(1), handshake: QUORUM_HANDSHAKE, logger });
await client.start();
const t1 = performance.now();
await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
const t2 = performance.now();
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
console.log(
  `handshake ${(handshakeAt - t0).toFixed(1)} ms, connect + health ${(t1 - handshakeAt).toFixed(1)} ms, init ${(t2 - t1).toFixed(1)} ms`,
);
await client.kill();
