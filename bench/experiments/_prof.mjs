import { spawn } from 'node:child_process';
import { generateCertificate } from '@qplugin/go-plugin/internal';
import { QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';
const host = await generateCertificate();
const [dir, ...cmd] = process.argv.slice(2);
for (let i = 0; i < 5; i++) {
  const c = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: `--require /tmp/s2/exit-after-hs.cjs --cpu-prof --cpu-prof-interval 50 --cpu-prof-dir=${dir}`, [QUORUM_HANDSHAKE.magicCookieKey]: QUORUM_HANDSHAKE.magicCookieValue, PLUGIN_PROTOCOL_VERSIONS: '1', PLUGIN_CLIENT_CERT: host.pem } });
  c.stdout.resume();
  await new Promise((r) => c.on('exit', r));
}
