/**
 * Builds a PluginManager from settings and geth's verification flags, wiring
 * the distribution layer (lookup, download, verify, unpack) and the settings
 * layer (config bytes) into each provider.
 */
import { tmpdir } from 'node:os';
import type { PluginClientOptions } from '@qplugin/go-plugin/host';
import { silentLogger } from '@qplugin/go-plugin/protocol';
import type { Logger } from '@qplugin/go-plugin/protocol';

import { obtainPlugin, removeWorkspace } from '../distribution/index.js';
import type { DownloadOptions } from '../distribution/index.js';
import { goPlatform, resolveConfig } from '../settings/index.js';
import type { Platform, Settings } from '../settings/index.js';
import { PluginManager } from './manager.js';
import { WorkspaceRoot } from './workspace-root.js';
import type { SupervisionOptions } from './provider.js';
import type { ManagerObserver } from './observer.js';

export interface ManagerConfig {
  settings: Settings;
  /** From geth's flags: --plugins.skipverify, --plugins.localverify (+ --plugins.publickey), or online. */
  verification: 'skip' | 'local' | 'online';
  /** Local mode: key URI or path. Default `<baseDir>/gpg.key`. */
  publicKey?: string;
  /** Accept only signatures by these keys (hex fingerprints). */
  trustedKeyFingerprints?: readonly string[];
  /** geth's --identity: Init's hostIdentity. Default "". */
  identity?: string;
  /** Where relative file:// configs resolve. Default process.cwd(). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default: this machine's GOOS/GOARCH. */
  platform?: Platform;
  /**
   * Where the manager makes its own directory (`qplugin-host-XXXXXX`) for the
   * private workspace of each start. Default os.tmpdir().
   */
  workspaceRoot?: string;
  download?: DownloadOptions;
  /** Deadline for Init. Default 30 s (geth has none). */
  initTimeoutMs?: number;
  /** PluginClient options for every plugin (timeouts, kill grace, environment). */
  client?: Partial<PluginClientOptions>;
  /** Restart policy (default on-failure), backoff, crash budget, health checks, call waits. */
  supervision?: SupervisionOptions;
  /** Told of supervisors, plugin calls and distributions, e.g. `HostMetrics` of `@qplugin/quorum/observe`. */
  observer?: ManagerObserver;
  logger?: Logger;
}

export function createPluginManager(config: ManagerConfig): PluginManager {
  const { settings } = config;
  const platform = config.platform ?? goPlatform();
  const cwd = config.cwd ?? process.cwd();
  const env = config.env ?? process.env;
  const workspaces = new WorkspaceRoot(config.workspaceRoot ?? tmpdir(), config.logger ?? silentLogger);
  return new PluginManager({
    settings,
    logger: config.logger,
    identity: config.identity ?? '',
    initTimeoutMs: config.initTimeoutMs ?? 30_000,
    client: config.client,
    supervision: config.supervision,
    observer: config.observer,
    async obtain(_iface, definition, logger) {
      const workspaceRoot = workspaces.acquire();
      const got = await obtainPlugin(definition, {
        baseDir: settings.baseDir,
        platform,
        central: settings.central,
        verification: config.verification,
        publicKey: config.publicKey,
        trustedKeyFingerprints: config.trustedKeyFingerprints,
        workspaceRoot,
        download: config.download,
        logger,
      }).catch(async (err: unknown) => {
        await workspaces.release();
        throw err;
      });
      return {
        executable: got.executable,
        args: got.args,
        workspace: got.dir,
        checksum: got.checksum,
        timings: { ...got.timings },
        source: got.source,
        bytesDownloaded: got.bytesDownloaded,
        verified: got.verification.signedOver !== 'unverified',
      };
    },
    async removeWorkspace(dir) {
      await removeWorkspace(dir);
      await workspaces.release();
    },
    resolveConfig: (raw, iface) =>
      resolveConfig(raw, { cwd, env, source: settings.source, path: `providers.${iface}.config` }),
  });
}
