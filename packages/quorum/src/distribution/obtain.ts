/**
 * From a settings definition to something the manager can spawn, in geth's
 * order (base.go load()): locate or download → checksum → verify → unpack →
 * plugin-meta.json and entrypoint. The zip is streamed once, into a file only
 * we write, hashed on the way; that file is what gets unpacked. A downloaded
 * zip is moved into baseDir only after every step passed; a failed start
 * leaves no workspace behind.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from '@qplugin/go-plugin/core/internal';
import { silentLogger } from '@qplugin/go-plugin/core/internal';

import { QuorumError } from '../errors.js';
import type { CentralConfig, PluginDefinition, Platform } from '../settings/types.js';
import { DEFAULT_MAX_ARCHIVE_BYTES, snapshotArchive } from './archive.js';
import type { ArchiveSnapshot } from './archive.js';
import type { DownloadOptions, DownloadedDistribution } from './central.js';
import { CentralClient } from './central.js';
import type { DistributionForm } from './lookup.js';
import { distributionFileNames, findLocalDistribution } from './lookup.js';
import type { PluginMeta } from './meta.js';
import { loadPluginMeta } from './meta.js';
import type { TemplateRenderer } from './template.js';
import type { UnpackLimits, UnpackedFile } from './unpack.js';
import { unpackArchive } from './unpack.js';
import type { VerificationMode, VerificationResult } from './verifier.js';
import { verifyDistribution } from './verifier.js';

export interface ObtainOptions {
  baseDir: string;
  platform: Platform;
  central: CentralConfig;
  verification: VerificationMode;
  /** Local mode: geth's --plugins.publickey (URI or path). Default `<baseDir>/gpg.key`. */
  publicKey?: string;
  /** Signer must be one of these (hex, spaces/colons allowed). Strongly advised for online mode. */
  trustedKeyFingerprints?: readonly string[];
  /** Download from central when baseDir has no zip. Default true. */
  allowDownload?: boolean;
  download?: DownloadOptions;
  /** Cap on a local zip's size. Default 512 MiB. */
  maxArchiveBytes?: number;
  /** Parent of the per-start workspace. Default os.tmpdir(). */
  workspaceRoot?: string;
  unpackLimits?: Partial<UnpackLimits>;
  render?: TemplateRenderer;
  logger?: Logger;
}

export interface ObtainTimings {
  locateMs: number;
  /** Reading the zip into its private copy, hashing it on the way. */
  readMs: number;
  /** 0: the checksum is computed while reading (in readMs). */
  checksumMs: number;
  verifyMs: number;
  unpackMs: number;
  metaMs: number;
  totalMs: number;
}

export interface ObtainedPlugin {
  zipPath: string;
  source: 'local' | 'downloaded';
  /** Bytes downloaded from Plugin Central (0 for a local zip). */
  bytesDownloaded: number;
  form: DistributionForm;
  checksum: string;
  verification: VerificationResult;
  /** The per-start workspace; remove it with removeWorkspace() when the plugin stops. */
  dir: string;
  files: UnpackedFile[];
  executable: string;
  args: string[];
  meta: PluginMeta;
  timings: ObtainTimings;
}

/** Deletes a workspace made by obtainPlugin (the whole directory, unlike geth which kept it). */
export async function removeWorkspace(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

function wrapDownloadError(err: unknown, baseDir: string): unknown {
  if (!(err instanceof QuorumError)) return err;
  return new QuorumError(
    err.code,
    `can't download from Plugin Central due to: ${err.message}. Please download the plugin manually and copy it to ${baseDir}`,
    { fix: err.fix, details: err.details, cause: err },
  );
}

export async function obtainPlugin(
  definition: PluginDefinition,
  options: ObtainOptions,
): Promise<ObtainedPlugin> {
  const logger = (options.logger ?? silentLogger).with({
    plugin: definition.name,
    version: definition.version,
  });
  const started = performance.now();
  let mark = started;
  const lap = (): number => {
    const now = performance.now();
    const ms = now - mark;
    mark = now;
    return Math.round(ms * 1000) / 1000;
  };
  // Built on first use: a local zip verified locally must not fail on an unused central config.
  let centralClient: CentralClient | undefined;
  const central = (): CentralClient =>
    (centralClient ??= new CentralClient(options.central, {
      ...options.download,
      platform: options.platform,
      logger,
      ...(options.render ? { render: options.render } : {}),
    }));

  let downloaded: DownloadedDistribution | undefined;
  let snapshot: ArchiveSnapshot | undefined;
  let dir: string | undefined;
  try {
    // 1. locate, or download; 2. checksum of exactly the bytes that will be unpacked
    const local = await findLocalDistribution(options.baseDir, definition, options.platform, logger);
    let zipPath: string;
    let unpackFrom: { path: string; size: number };
    let checksum: string;
    let form: DistributionForm;
    let locateMs: number;
    let readMs: number;
    if (local !== undefined) {
      zipPath = local.path;
      form = local.form;
      locateMs = lap();
      snapshot = await snapshotArchive(zipPath, {
        maxBytes: options.maxArchiveBytes ?? DEFAULT_MAX_ARCHIVE_BYTES,
        ...(options.workspaceRoot !== undefined ? { root: options.workspaceRoot } : {}),
      });
      unpackFrom = snapshot;
      checksum = snapshot.checksum;
      readMs = lap();
    } else {
      const names = distributionFileNames(definition, options.platform);
      if (options.allowDownload === false) {
        throw new QuorumError('DIST_NOT_FOUND', `plugin distribution not found in ${options.baseDir}`, {
          fix: `Copy ${names.platform} (or ${names.plain}) into ${options.baseDir}, or allow downloads from Plugin Central.`,
          details: { looked: [join(options.baseDir, names.platform), join(options.baseDir, names.plain)] },
        });
      }
      try {
        downloaded = await central().downloadDistribution(definition, options.baseDir);
      } catch (err) {
        throw wrapDownloadError(err, options.baseDir);
      }
      zipPath = downloaded.path;
      form = 'platform';
      // Hashed while it was written to a file we created (O_EXCL).
      unpackFrom = { path: downloaded.tempPath, size: downloaded.size };
      checksum = downloaded.checksum;
      locateMs = lap();
      readMs = 0;
    }
    const checksumMs = 0;

    // 3. signature
    const verification = await verifyDistribution({
      mode: options.verification,
      checksum,
      definition,
      zipPath,
      baseDir: options.baseDir,
      logger,
      ...(options.publicKey !== undefined ? { publicKey: options.publicKey } : {}),
      ...(options.verification === 'online' ? { central: central() } : {}),
      ...(options.trustedKeyFingerprints ? { trustedKeyFingerprints: options.trustedKeyFingerprints } : {}),
    });
    const verifyMs = lap();

    // 4. unpack the same bytes
    logger.info('unpacking plugin', { checksum });
    const unpacked = await unpackArchive(unpackFrom, {
      logger,
      ...(options.workspaceRoot !== undefined ? { root: options.workspaceRoot } : {}),
      ...(options.unpackLimits ? { limits: options.unpackLimits } : {}),
    });
    dir = unpacked.dir;
    await snapshot?.remove();
    snapshot = undefined;
    const unpackMs = lap();

    // 5. metadata and entrypoint
    const { meta, executable, args } = await loadPluginMeta(dir, definition, options.platform);
    const metaMs = lap();

    if (downloaded !== undefined) {
      await downloaded.commit();
      logger.info('plugin distribution saved', { path: downloaded.path });
    }
    return {
      zipPath,
      source: downloaded ? 'downloaded' : 'local',
      bytesDownloaded: downloaded?.size ?? 0,
      form,
      checksum,
      verification,
      dir,
      files: unpacked.files,
      executable,
      args,
      meta,
      timings: {
        locateMs,
        readMs,
        checksumMs,
        verifyMs,
        unpackMs,
        metaMs,
        totalMs: Math.round((performance.now() - started) * 1000) / 1000,
      },
    };
  } catch (err) {
    if (dir !== undefined) await removeWorkspace(dir);
    await snapshot?.remove();
    await downloaded?.discard();
    throw err;
  }
}
