/**
 * `qplugin demo` (`npm run demo`): the whole path in one go, in a temp dir
 * that is removed afterwards. Pack the TS hello world plugin, sign it, write
 * settings, start the manager and the JSON-RPC gateway, call
 * plugin@helloworld_greeting, switch the config to Spanish, reload, call
 * again, stop.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogLevel } from '@qplugin/go-plugin/protocol';

import { generateSigningKey, signChecksum } from '@qplugin/quorum';
import { createPluginManager } from '@qplugin/quorum';
import { packPlugin } from '../packaging/index.js';
import { startRpcEndpoint } from '@qplugin/quorum';
import { loadSettings } from '@qplugin/quorum';
import { bool } from '../args.js';
import { demoPlugin } from '../demo-plugin.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { cliLogger, printResult } from '../output.js';

function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          const reply = JSON.parse(text) as { result?: unknown; error?: { message: string } };
          if (reply.error) reject(new Error(`${method}: ${reply.error.message}`));
          else resolve(reply.result);
        });
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

export const demo: Command = {
  name: 'demo',
  usage: 'qplugin demo [--verbose] [--json]',
  options: { verbose: { type: 'boolean', description: 'show the manager and plugin logs' } },
  async run({ values }, io) {
    const say = (line: string): void => {
      if (!io.json) io.stdout.write(line + '\n');
    };
    const logger = cliLogger(io, (bool(values.verbose) ? 'debug' : 'warn') as LogLevel);
    const dir = await mkdtemp(join(tmpdir(), 'qplugin-demo-'));
    try {
      const baseDir = join(dir, 'plugins');
      const entry = await demoPlugin();
      const packed = await packPlugin({
        name: 'quorum-plugin-hello-world',
        version: '1.0.0',
        entry,
        outDir: baseDir,
      });
      say(`packed ${packed.zipPath} (${packed.bytes} bytes, sha256 ${packed.checksum.slice(0, 16)}…)`);
      const key = await generateSigningKey({ name: 'qplugin demo', email: 'demo@example.invalid' });
      await writeFile(`${packed.zipPath}.sha256sum.asc`, await signChecksum(packed.checksum, key.privateKey));
      await writeFile(join(baseDir, 'gpg.key'), key.publicKey);
      say(`signed with a fresh OpenPGP key ${key.fingerprint}`);

      const config = join(dir, 'hello-world-plugin-config.json');
      await writeFile(config, '{"language":"en"}');
      const settingsFile = join(dir, 'settings.json');
      await writeFile(
        settingsFile,
        JSON.stringify(
          {
            baseDir,
            providers: {
              helloworld: { name: 'quorum-plugin-hello-world', version: '1.0.0', config: `file://${config}` },
            },
          },
          null,
          2,
        ),
      );
      const settings = await loadSettings(`file://${settingsFile}`);
      const manager = createPluginManager({
        settings,
        verification: 'local',
        identity: 'demo-node',
        logger,
        workspaceRoot: dir,
      });
      await manager.start();
      const endpoint = await startRpcEndpoint(manager, {
        port: 0,
        enabled: ['admin', 'plugin@helloworld'],
        logger,
      });
      const greetings: string[] = [];
      try {
        say(`plugin verified, started and initialised; JSON-RPC on ${endpoint.url}`);
        greetings.push(String(await rpc(endpoint.url, 'plugin@helloworld_greeting', ['Quorum'])));
        say(greetings[0]!);
        await writeFile(config, '{"language":"es"}');
        await rpc(endpoint.url, 'admin_reloadPlugin', ['helloworld']);
        say('config switched to Spanish, admin_reloadPlugin → true');
        greetings.push(String(await rpc(endpoint.url, 'plugin@helloworld_greeting', ['Quorum'])));
        say(greetings[1]!);
      } finally {
        await endpoint.gateway.stop();
        await manager.stop();
      }
      say('stopped; nothing left behind');
      printResult(io, { ok: true, greetings }, '');
      return ExitCode.ok;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
