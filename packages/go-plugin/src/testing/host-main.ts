#!/usr/bin/env node
/**
 * The host process spawnHost() runs: one PluginClient, for tests of what
 * happens to plugins when their host gets a signal, exits or is killed.
 * argv[2] is a JSON HostConfig. Prints one line per event on stdout:
 * `started <json>` (pid, reattach config with TLS material in base64),
 * `log <message> <fields>` (host log, plugin stderr included), `handled <SIG>`
 * from the application's own signal listeners, `killed <json>`. Reads
 * commands on stdin: `exit` (process.exit(0)), `kill` (await client.kill()).
 */
import { createInterface } from 'node:readline';

import { PluginClient } from '../host/client.js';
import { createLogger } from '../protocol/logger.js';

export interface HostConfig {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  handshake: { protocolVersion: number; magicCookieKey: string; magicCookieValue: string };
  managed: boolean;
  /** Parent of the plugin's socket directory. */
  socketParent?: string;
  killGraceMs?: number;
  autoMTLS?: boolean;
  /** Signals the application handles itself. */
  handle?: NodeJS.Signals[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as HostConfig;
const say = (line: string): boolean => process.stdout.write(`${line}\n`);
// Before the client exists, and `once`, as an application like `qplugin run` does.
for (const signal of config.handle ?? []) process.once(signal, () => say(`handled ${signal}`));
const client = new PluginClient({
  command: config.command,
  args: config.args ?? [],
  env: config.env ?? {},
  handshake: config.handshake,
  managed: config.managed,
  autoMTLS: config.autoMTLS ?? true,
  killGraceMs: config.killGraceMs,
  unixSocket: { dir: config.socketParent },
  logger: createLogger(
    (_level, message, _module, fields) => say(`log ${message} ${JSON.stringify(fields)}`),
    {
      level: 'trace',
    },
  ),
});
await client.start();
const reattach = client.reattachConfig();
say(
  `started ${JSON.stringify({
    pid: client.pid,
    reattach: {
      ...reattach,
      tls: reattach.tls && {
        ...reattach.tls,
        pluginCertDer: Buffer.from(reattach.tls.pluginCertDer).toString('base64'),
      },
    },
  })}`,
);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'exit') process.exit(0);
  if (line === 'kill') void client.kill().then((exit) => say(`killed ${JSON.stringify(exit)}`));
});
