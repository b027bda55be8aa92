/**
 * Quorum's plugin manager: every provider in the settings, started together
 * (all or none), stopped together, reloaded one at a time, and a typed
 * client per interface that always reaches the provider's current process.
 */
import type { DescService } from '@bufbuild/protobuf';
import { messageOf, silentLogger } from '@qplugin/go-plugin/protocol';
import type { Client, Logger } from '@qplugin/go-plugin/protocol';

import { QuorumError } from '../errors.js';
import { INTERFACE_NAMES } from '../settings/types.js';
import type { InterfaceName, Settings } from '../settings/types.js';
import { Provider } from './provider.js';
import { redact } from './redact.js';
import type { ProviderDeps, ProviderInfo } from './provider.js';

export type PluginsInfo = { baseDir?: string } & Partial<Record<InterfaceName, ProviderInfo>>;

export interface PluginManagerOptions extends Omit<ProviderDeps, 'logger'> {
  settings: Settings;
  logger?: Logger;
}

export class PluginManager {
  private readonly providers = new Map<InterfaceName, Provider>();
  private readonly logger: Logger;
  private started = false;

  constructor(private readonly options: PluginManagerOptions) {
    this.logger = options.logger ?? silentLogger;
    for (const [iface, definition] of options.settings.providers) {
      this.logger.debug('Preparing plugin', {
        provider: iface,
        name: definition.name,
        version: definition.version,
      });
      this.providers.set(iface, new Provider(iface, definition, { ...options, logger: this.logger }));
    }
  }

  /** Starts every provider; on any failure stops those that started and reports every failure. */
  async start(): Promise<void> {
    if (this.providers.size === 0) {
      this.logger.info('No plugins to initialise');
      return;
    }
    if (this.started) {
      this.logger.info('Plugins already started');
      return;
    }
    this.logger.info('Starting all plugins', { count: this.providers.size });
    const results = await Promise.allSettled([...this.providers.values()].map((p) => p.start()));
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected' ? [[[...this.providers.keys()][i]!, r.reason as Error] as const] : [],
    );
    if (failures.length > 0) {
      await Promise.allSettled([...this.providers.values()].map((p) => p.stop()));
      const [first] = failures;
      if (failures.length === 1) throw first![1];
      throw new QuorumError(
        'PLUGIN_START',
        `${failures.length} plugins failed to start: ${failures.map(([n, e]) => `${n}: ${e.message}`).join('; ')}`,
        { fix: 'See each plugin error.', details: { providers: failures.map(([n]) => n) }, cause: first![1] },
      );
    }
    this.started = true;
  }

  /** Stops every provider (and deletes their workspaces); reports every failure. */
  async stop(): Promise<void> {
    if (this.providers.size === 0) return;
    this.logger.info('Stopping all plugins', { count: this.providers.size });
    const results = await Promise.allSettled([...this.providers.values()].map((p) => p.stop()));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [messageOf(r.reason)] : []));
    this.logger.info('All plugins stopped', { errors });
    this.started = false;
    if (errors.length > 0) {
      throw new QuorumError('PLUGIN_STOP', `[${errors.join(' ')}]`, {
        fix: 'See the plugin log lines above.',
      });
    }
  }

  private provider(name: string): Provider {
    const p = this.providers.get(name.toLowerCase() as InterfaceName);
    if (!p) {
      throw new QuorumError('PLUGIN_NOT_FOUND', `no such plugin provider: ${name}`, {
        fix: `Configured providers: ${[...this.providers.keys()].join(', ') || 'none'}.`,
        details: { name },
      });
    }
    return p;
  }

  /**
   * Restarts one provider afresh (new workspace, process, config read again),
   * like admin_reloadPlugin. Calls wait for it; a failed provider comes back.
   */
  async reload(name: string): Promise<true> {
    await this.provider(name).reload();
    return true;
  }

  /** start() succeeded and stop() has not been called since. */
  get isStarted(): boolean {
    return this.started;
  }

  isEnabled(name: string): boolean {
    return this.providers.has(name.toLowerCase() as InterfaceName);
  }

  /** A client whose every call goes to the provider's current process (survives reloads and restarts). */
  client<S extends DescService>(name: InterfaceName, svc: S): Client<S> {
    const p = this.provider(name);
    const stub: Record<string, unknown> = {};
    for (const m of svc.methods) {
      const returnsPromise = m.methodKind === 'unary' || m.methodKind === 'client_streaming';
      stub[m.localName] = (...args: unknown[]) => {
        try {
          return (p.client(svc) as Record<string, (...a: unknown[]) => unknown>)[m.localName]!(...args);
        } catch (err) {
          // Not running: a rejected call, like any other failed RPC.
          if (returnsPromise) return Promise.reject(err);
          throw err;
        }
      };
    }
    return stub as Client<S>;
  }

  /**
   * `text` without any string of any provider's config (as written in the
   * settings or resolved from its file): for texts shown outside the operator's
   * API, such as error messages on a status page (plugins often quote their config).
   */
  redact(text: string): string {
    const secrets = new Set<string>();
    for (const p of this.providers.values()) p.configSecrets(secrets);
    return redact(text, secrets);
  }

  /**
   * geth's PluginsInfo (admin_nodeInfo's `plugins`): baseDir plus each
   * provider's definition and command, and (qplugin's addition) its process
   * state, pid, automatic restarts and last crash.
   */
  pluginsInfo(): PluginsInfo {
    if (this.providers.size === 0) return {};
    const info: PluginsInfo = { baseDir: this.options.settings.baseDir };
    for (const name of INTERFACE_NAMES) {
      const p = this.providers.get(name);
      if (p) info[name] = p.info();
    }
    return info;
  }
}
