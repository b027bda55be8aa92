import { PluginClient } from '@qplugin/go-plugin/host';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';
const [command] = process.argv.slice(2);
const out = [];
for (let i = 0; i < 8; i++) {
  const c = new PluginClient({ command, handshake: QUORUM_HANDSHAKE });
  await c.start();
  await c.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
  await c.client(PluginGreeting).greeting({ msg: 'x' });
  const t0 = performance.now();
  let tExit;
  c.once('exited', () => (tExit = performance.now() - t0));
  await c.kill();
  out.push(`${(performance.now() - t0).toFixed(0)}(exit ${tExit?.toFixed(0)})`);
}
console.log(out.join(' '));
