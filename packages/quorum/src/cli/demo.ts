#!/usr/bin/env node
/**
 * The one-command demo (`npm run demo`): starts the bundled TypeScript hello
 * world plugin exactly as geth would (Quorum's handshake, AutoMTLS), calls
 * Init and Greeting, switches the language, and stops it, leaving nothing
 * behind.
 */
import { fileURLToPath } from 'node:url';

import { PluginClient } from '@qplugin/go-plugin/host';
import { createHclogLogger } from '@qplugin/go-plugin/protocol';

import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '../interfaces/index.js';

const plugin = fileURLToPath(import.meta.resolve('@qplugin/example-helloworld/main'));
const verbose = process.argv.includes('--verbose');
const logger = createHclogLogger((line) => process.stderr.write(line), {
  level: verbose ? 'debug' : 'warn',
  name: 'demo',
});

const client = new PluginClient({
  command: process.execPath,
  args: [plugin],
  handshake: QUORUM_HANDSHAKE,
  logger,
});
const started = Date.now();
await client.start();
console.log(
  `started ${plugin} (pid ${client.pid}, mTLS, protocol ${client.negotiatedVersion}) in ${Date.now() - started} ms`,
);
try {
  for (const language of ['en', 'es']) {
    await client.client(PluginInitializer).init({
      hostIdentity: 'demo-node',
      rawConfiguration: Buffer.from(JSON.stringify({ language })),
    });
    const { msg } = await client.client(PluginGreeting).greeting({ msg: 'Quorum' });
    console.log(`${language}: ${msg}`);
  }
} finally {
  const exit = await client.kill();
  console.log(`plugin stopped (exit code ${exit?.code ?? '?'})`);
}
