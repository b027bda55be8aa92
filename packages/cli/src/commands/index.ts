/**
 * Every qplugin command, in the order `qplugin --help` lists them. Each is
 * loaded only when used: the modules behind them (OpenPGP, zip, esbuild, the
 * manager) cost most of the CLI's start-up time.
 */
import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'run', load: async () => (await import('./run.js')).run },
  { name: 'call', load: async () => (await import('./call.js')).call },
  { name: 'demo', load: async () => (await import('./demo.js')).demo },
  { name: 'check', load: async () => (await import('./check.js')).check },
  { name: 'check-host', load: async () => (await import('./check-host.js')).checkHost },
  { name: 'new', load: async () => (await import('./new.js')).newProject },
  { name: 'pack', load: async () => (await import('./pack.js')).pack },
  { name: 'keygen', load: async () => (await import('./keygen.js')).keygen },
  { name: 'sign', load: async () => (await import('./sign.js')).sign },
  { name: 'verify', load: async () => (await import('./verify.js')).verify },
  { name: 'inspect', load: async () => (await import('./inspect.js')).inspect },
];
