/**
 * One configured plugin (a "provider" of an interface): obtain the
 * distribution (lookup, verify, unpack), start it with Quorum's handshake,
 * Init it with its config, and stop it again, deleting its workspace.
 *
 * The process runs under a PluginSupervisor: after a crash it is started
 * again in the same workspace and Init runs again with the same config bytes.
 * A reload is a requested restart that first obtains a fresh workspace and
 * reads the config again; calls wait for it as they wait for a crash restart.
 */
import type { DescService } from '@bufbuild/protobuf';
import { PluginSupervisor } from '@qplugin/go-plugin/host';
import type {
  LastExit,
  PluginClient,
  PluginClientOptions,
  PluginSupervisorOptions,
  StartInfo,
  SupervisorState,
} from '@qplugin/go-plugin/host';
import { isRpcError, RpcError, Status } from '@qplugin/go-plugin/protocol';
import type { Client, Logger } from '@qplugin/go-plugin/protocol';

import { QuorumError } from '../errors.js';
import { PluginInitializer, QUORUM_HANDSHAKE } from '../interfaces/index.js';
import type { InterfaceName, PluginDefinition, RawConfig } from '../settings/types.js';
import type { ManagerObserver, ProviderRef } from './observer.js';
import { configStrings, resolvedConfigStrings } from './redact.js';

/** What the distribution layer hands over for one start. */
export interface PluginMaterial {
  executable: string;
  args: readonly string[];
  /** Private directory the plugin was unpacked into; removed on stop. */
  workspace: string;
  checksum: string;
  /** Milliseconds per step (lookup, download, verify, unpack, …) for the logs. */
  timings: Readonly<Record<string, number>>;
  /** For observers: where the zip came from, bytes downloaded, whether its signature was checked. */
  source?: 'local' | 'downloaded';
  bytesDownloaded?: number;
  verified?: boolean;
}

/** Restart policy, backoff, crash budget, health checks and call waits of every provider's process. */
export type SupervisionOptions = Omit<PluginSupervisorOptions, 'client' | 'name' | 'onStart' | 'logger'>;

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
  /** Default: the PluginSupervisor defaults (restart on failure). */
  supervision?: SupervisionOptions;
  /** Told of supervisors, calls and distributions (metrics). */
  observer?: ManagerObserver;
  logger: Logger;
}

export interface ProviderInfo {
  name: string;
  version: string;
  config: RawConfig | null;
  /** [command, ...parameters]; null until first started. */
  executable: string[] | null;
  /** The rest is qplugin's, not geth's: how the supervised process is doing. */
  state: SupervisorState;
  pid: number | null;
  /** Automatic restarts since the provider started (reloads not counted). */
  restarts: number;
  /** The last crash (or failed health check, or failed restart). */
  lastExit: LastExit | null;
  /** Why the plugin is not running, when it is not. */
  error: string | null;
}

const since = (t: number): number => Math.round(performance.now() - t);

export class Provider {
  private supervisor: PluginSupervisor | undefined;
  private material: PluginMaterial | undefined;
  private config: Uint8Array | undefined;
  /** Obtain the distribution and read the config again at the next process start. */
  private refresh = true;
  private executable: string[] | null = null;
  private lastError: string | null = null;
  private readonly logger: Logger;
  readonly ref: ProviderRef;

  constructor(
    readonly iface: InterfaceName,
    readonly definition: PluginDefinition,
    private readonly deps: ProviderDeps,
  ) {
    this.logger = deps.logger.with({ provider: iface, plugin: definition.name, version: definition.version });
    this.ref = { provider: iface, plugin: definition.name, version: definition.version };
  }

  get running(): boolean {
    return this.supervisor?.state === 'ready';
  }

  async start(): Promise<void> {
    const t0 = performance.now();
    this.logger.info('Starting plugin');
    this.refresh = true;
    this.lastError = null;
    const observer = this.deps.observer;
    const onCall = observer?.call?.bind(observer);
    this.supervisor = new PluginSupervisor({
      ...this.deps.supervision,
      name: `${this.iface} (${this.definition.name})`,
      logger: this.logger,
      client: (start) => this.clientOptions(start),
      onStart: (client, start) => this.init(client, start),
      ...(onCall ? { callObserver: (event) => onCall(this.ref, event) } : {}),
    });
    observer?.supervising?.(this.ref, this.supervisor);
    try {
      await this.supervisor.start();
      this.logger.info('Plugin started', { took: since(t0) });
    } catch (err) {
      this.startFailed(err, t0);
      await this.stop().catch(() => {});
      throw wrapStartError(this.iface, this.definition, err);
    }
  }

  /**
   * admin_reloadPlugin: a fresh workspace, the config read again, a new
   * process and Init. Calls wait meanwhile. Revives a failed provider. If the
   * new process fails to start, the provider is left `failed`.
   */
  async reload(): Promise<void> {
    if (!this.supervisor) return this.start();
    const t0 = performance.now();
    this.logger.info('Reloading plugin');
    this.refresh = true;
    this.lastError = null;
    try {
      await this.supervisor.restart();
      this.logger.info('Plugin started', { took: since(t0) });
    } catch (err) {
      this.startFailed(err, t0);
      // The supervisor keeps the `failed` state (calls fail at once, saying why); the files go.
      await this.dropWorkspace().catch(() => {});
      throw wrapStartError(this.iface, this.definition, err);
    }
  }

  async stop(): Promise<void> {
    const supervisor = this.supervisor;
    this.supervisor = undefined;
    if (supervisor) await supervisor.stop();
    await this.dropWorkspace();
  }

  /** A typed client whose calls reach the current process (waiting while it restarts). */
  client<S extends DescService>(svc: S): Client<S> {
    if (!this.supervisor) {
      throw new RpcError(Status.UNAVAILABLE, `plugin ${this.iface} (${this.definition.name}) is not running`);
    }
    return this.supervisor.client(svc);
  }

  /** The strings of this provider's config (as written and as resolved), for redaction. */
  configSecrets(out: Set<string>): void {
    configStrings(this.definition.config, out);
    resolvedConfigStrings(this.config, out);
  }

  info(): ProviderInfo {
    const s = this.supervisor?.info();
    return {
      name: this.definition.name,
      version: this.definition.version,
      config: this.definition.config ?? null,
      executable: this.executable,
      state: s?.state ?? (this.lastError ? 'failed' : 'stopped'),
      pid: s?.pid ?? null,
      restarts: s?.restarts ?? 0,
      lastExit: s?.lastExit ?? null,
      error: s?.reason ?? this.lastError,
    };
  }

  /** Options for the next process: the current workspace, or a fresh one when asked for. */
  private async clientOptions(start: StartInfo): Promise<PluginClientOptions> {
    if (this.refresh || !this.material) {
      await this.dropWorkspace();
      this.logger.debug('Starting plugin: Loading');
      const obtained = await this.deps
        .obtain(this.iface, this.definition, this.logger)
        .catch((err: unknown) => {
          this.deps.observer?.obtainFailed?.(this.ref, errorCode(err));
          throw err;
        });
      this.deps.observer?.obtained?.(this.ref, {
        source: obtained.source ?? 'local',
        bytesDownloaded: obtained.bytesDownloaded ?? 0,
        verified: obtained.verified ?? false,
      });
      this.material = obtained;
      this.executable = [obtained.executable, ...obtained.args];
      this.logger.info('plugin verified and unpacked', { checksum: obtained.checksum, ...obtained.timings });
      this.config = await this.deps.resolveConfig(this.definition.config, this.iface);
      this.refresh = false;
    }
    const { executable, args, workspace } = this.material;
    this.logger.debug('Starting plugin: Creating client', { incarnation: start.incarnation });
    return {
      // Killed with the host process, on a signal too (deps.client may say otherwise).
      managed: true,
      ...this.deps.client,
      command: executable,
      args,
      cwd: workspace,
      handshake: QUORUM_HANDSHAKE,
      autoMTLS: true,
      allowedProtocols: ['grpc'],
      logger: this.logger.with({ from: 'plugin' }),
    };
  }

  /** Init, on every process the supervisor starts, with the config read at the last start or reload. */
  private async init(client: PluginClient, start: StartInfo): Promise<void> {
    this.logger.debug('plugin process connected', { pid: client.pid, incarnation: start.incarnation });
    this.logger.info(
      'Initializing plugin',
      start.reason === 'recover' ? { incarnation: start.incarnation } : {},
    );
    const t = performance.now();
    await client
      .client(PluginInitializer)
      .init(
        { hostIdentity: this.deps.identity, rawConfiguration: this.config ?? new Uint8Array() },
        { deadline: this.deps.initTimeoutMs },
      );
    this.logger.debug('plugin initialized', { took: since(t) });
  }

  private startFailed(err: unknown, t0: number): void {
    const message = err instanceof Error ? err.message : String(err);
    this.lastError = message;
    this.logger.error('Plugin failed to start', { error: message, took: since(t0) });
  }

  private async dropWorkspace(): Promise<void> {
    const workspace = this.material?.workspace;
    this.material = undefined;
    if (workspace) await this.deps.removeWorkspace(workspace);
  }
}

/** The stable code of an error (QuorumError, GoPluginError, a system error), or UNKNOWN. */
function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'UNKNOWN';
}

function wrapStartError(iface: InterfaceName, def: PluginDefinition, err: unknown): Error {
  if (err instanceof QuorumError) return err;
  const label = `plugin ${iface} (${def.name}-${def.version})`;
  if (isRpcError(err)) {
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
