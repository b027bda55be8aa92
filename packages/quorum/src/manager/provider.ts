/**
 * One configured plugin (a "provider" of an interface): obtain the
 * distribution (lookup, verify, unpack), start it with Quorum's handshake,
 * Init it with its config, and stop it again, deleting its workspace. A
 * reload is stop + start, so every start is a fresh workspace and process.
 */
import type { DescService } from '@bufbuild/protobuf';
import { PluginClient } from '@qplugin/go-plugin/host';
import type { PluginClientOptions } from '@qplugin/go-plugin/host';
import { RpcError, Status } from '@qplugin/go-plugin/protocol';
import type { Client, Logger } from '@qplugin/go-plugin/protocol';

import { QuorumError } from '../errors.js';
import { PluginInitializer, QUORUM_HANDSHAKE } from '../interfaces/index.js';
import type { InterfaceName, PluginDefinition, RawConfig } from '../settings/types.js';

/** What the distribution layer hands over for one start. */
export interface PluginMaterial {
  executable: string;
  args: readonly string[];
  /** Private directory the plugin was unpacked into; removed on stop. */
  workspace: string;
  checksum: string;
  /** Milliseconds per step (lookup, download, verify, unpack, …) for the logs. */
  timings: Readonly<Record<string, number>>;
}

/** Seams to the settings and distribution layers. */
export interface ProviderDeps {
  obtain(iface: InterfaceName, definition: PluginDefinition, logger: Logger): Promise<PluginMaterial>;
  removeWorkspace(dir: string): Promise<void>;
  resolveConfig(config: RawConfig | undefined, iface: InterfaceName): Promise<Uint8Array>;
  /** geth's --identity, sent as Init's hostIdentity. */
  identity: string;
  initTimeoutMs: number;
  /** Extra PluginClient options (timeouts, grace, env). */
  client?: Partial<PluginClientOptions>;
  logger: Logger;
}

export interface ProviderInfo {
  name: string;
  version: string;
  config: RawConfig | null;
  /** [command, ...parameters]; null until first started. */
  executable: string[] | null;
}

const since = (t: number): number => Math.round(performance.now() - t);

export class Provider {
  private plugin: PluginClient | undefined;
  private workspace: string | undefined;
  private executable: string[] | null = null;
  private readonly logger: Logger;

  constructor(
    readonly iface: InterfaceName,
    readonly definition: PluginDefinition,
    private readonly deps: ProviderDeps,
  ) {
    this.logger = deps.logger.with({ provider: iface, plugin: definition.name, version: definition.version });
  }

  get running(): boolean {
    return this.plugin !== undefined && !this.plugin.hasExited;
  }

  async start(): Promise<void> {
    const t0 = performance.now();
    this.logger.info('Starting plugin');
    try {
      this.logger.debug('Starting plugin: Loading');
      const obtained = await this.deps.obtain(this.iface, this.definition, this.logger);
      this.workspace = obtained.workspace;
      this.executable = [obtained.executable, ...obtained.args];
      this.logger.info('plugin verified and unpacked', { checksum: obtained.checksum, ...obtained.timings });

      this.logger.debug('Starting plugin: Creating client');
      let t = performance.now();
      this.plugin = new PluginClient({
        // Killed with the host process, on a signal too (deps.client may say otherwise).
        managed: true,
        ...this.deps.client,
        command: obtained.executable,
        args: obtained.args,
        cwd: obtained.workspace,
        handshake: QUORUM_HANDSHAKE,
        autoMTLS: true,
        allowedProtocols: ['grpc'],
        logger: this.logger.with({ from: 'plugin' }),
      });
      await this.plugin.start();
      this.logger.debug('plugin process connected', { pid: this.plugin.pid, took: since(t) });

      this.logger.info('Initializing plugin');
      t = performance.now();
      const rawConfiguration = await this.deps.resolveConfig(this.definition.config, this.iface);
      await this.plugin
        .client(PluginInitializer)
        .init({ hostIdentity: this.deps.identity, rawConfiguration }, { deadline: this.deps.initTimeoutMs });
      this.logger.debug('plugin initialized', { took: since(t) });
      this.logger.info('Plugin started', { took: since(t0) });
    } catch (err) {
      this.logger.error('Plugin failed to start', {
        error: err instanceof Error ? err.message : String(err),
        took: since(t0),
      });
      await this.stop().catch(() => {});
      throw wrapStartError(this.iface, this.definition, err);
    }
  }

  async stop(): Promise<void> {
    const plugin = this.plugin;
    const workspace = this.workspace;
    this.plugin = undefined;
    this.workspace = undefined;
    if (plugin) await plugin.kill();
    if (workspace) await this.deps.removeWorkspace(workspace);
  }

  /** A typed client of the running plugin; calls fail with Unavailable while it is not running. */
  client<S extends DescService>(svc: S): Client<S> {
    if (!this.plugin || this.plugin.hasExited) {
      throw new RpcError(Status.UNAVAILABLE, `plugin ${this.iface} (${this.definition.name}) is not running`);
    }
    return this.plugin.client(svc);
  }

  info(): ProviderInfo {
    return {
      name: this.definition.name,
      version: this.definition.version,
      config: this.definition.config ?? null,
      executable: this.executable,
    };
  }
}

function wrapStartError(iface: InterfaceName, def: PluginDefinition, err: unknown): Error {
  if (err instanceof QuorumError) return err;
  const label = `plugin ${iface} (${def.name}-${def.version})`;
  if (err instanceof RpcError) {
    return new QuorumError('PLUGIN_INIT', err.message, {
      fix: `${label} rejected its configuration in Init: fix "config" of provider ${iface} in the settings.`,
      details: { provider: iface, code: err.codeName },
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new QuorumError('PLUGIN_START', `${label} failed to start: ${message}`, {
    fix: (err as { fix?: string }).fix ?? 'See the plugin log lines above.',
    details: { provider: iface, code: (err as { code?: string }).code },
    cause: err,
  });
}
