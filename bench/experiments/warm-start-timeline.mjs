// Experiment (not part of `npm run bench`): where a warm PluginClient.start()
// (2nd+ in a process, S1 "warm") spends its time after the handshake line.
// Prints every host log line's time relative to 'using plugin', and the
// health and Init round trips, for N sequential starts.
//   node --max-semi-space-size=4 bench/experiments/warm-start-timeline.mjs N -- plugin [args]
import { createLogger, PluginClient } from '@qplugin/go-plugin/host';
import { PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

const [n, , ...cmd] = process.argv.slice(2);
for (let i = 0; i < Number(n); i++) {
  let mark = 0;
  const lines = [];
  const logger = createLogger(
    (_level, message) => {
      const t = performance.now();
      if (message === 'using plugin') mark = t;
      lines.push([t, message]);
    },
    { level: 'trace' },
  );
  const t0 = performance.now();
  const client = new PluginClient({
    command: cmd[0],
    args: cmd.slice(1),
    handshake: QUORUM_HANDSHAKE,
    logger,
  });
  await client.start();
  const t1 = performance.now();
  await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
  const t2 = performance.now();
  if (i > 0) {
    console.log(
      `start ${i}: handshake ${(mark - t0).toFixed(1)} connect+health ${(t1 - mark).toFixed(1)} init ${(t2 - t1).toFixed(1)}`,
    );
    for (const [t, m] of lines) console.log(`   ${(t - mark).toFixed(2).padStart(8)} ${m}`);
  }
  await client.kill();
}
