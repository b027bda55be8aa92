/**
 * Every qplugin command, in the order `qplugin --help` lists them, with the
 * one line that list shows. Each command is loaded only when used: the
 * modules behind them (the manager, the gRPC layers, OpenPGP, esbuild) cost
 * most of the CLI's start-up time, and `qplugin --help` needs none of them.
 */
import type { Command } from '../command.js';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './key-files.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'run',
    summary: 'start the plugins of a settings file and serve their JSON-RPC APIs (like geth --plugins)',
    load: async () => (await import('./run.js')).run,
  },
  {
    name: 'call',
    summary:
      'start the plugin configured for an interface, Init it, call one method, print the result, stop it',
    load: async () => (await import('./call.js')).call,
  },
  {
    name: 'demo',
    summary:
      'pack, sign and run the TS hello world plugin behind the JSON-RPC gateway, reload it in Spanish, clean up',
    load: async () => (await import('./demo.js')).demo,
  },
  {
    name: 'check',
    summary:
      'run a plugin (any language) as its host would and report what would stop the host from using it',
    load: async () => (await import('./check.js')).check,
  },
  {
    name: 'check-host',
    summary:
      'run a go-plugin host (any language) with a probe plugin and report what it does against the protocol',
    load: async () => (await import('./check-host.js')).checkHost,
  },
  {
    name: 'new',
    summary: 'scaffold a TypeScript plugin project (build, test and pack scripts included)',
    load: async () => (await import('./new.js')).newProject,
  },
  {
    name: 'pack',
    summary: 'build a plugin distribution zip (+ .sha256sum) from a TS/JS entry or an executable',
    load: async () => (await import('./pack.js')).pack,
  },
  {
    name: 'keygen',
    summary: `create an RSA OpenPGP signing key: ${PRIVATE_KEY_FILE} (secret) and ${PUBLIC_KEY_FILE} (public)`,
    load: async () => (await import('./keygen.js')).keygen,
  },
  {
    name: 'sign',
    summary: 'sign a plugin zip: writes <zip>.sha256sum (if missing) and <zip>.sha256sum.asc',
    load: async () => (await import('./sign.js')).sign,
  },
  {
    name: 'verify',
    summary: 'check a plugin zip against <zip>.sha256sum.asc and a public key, as geth --plugins.localverify',
    load: async () => (await import('./verify.js')).verify,
  },
  {
    name: 'inspect',
    summary:
      'list a plugin zip and report what would stop geth or qplugin from loading it (nothing extracted)',
    load: async () => (await import('./inspect.js')).inspect,
  },
];
