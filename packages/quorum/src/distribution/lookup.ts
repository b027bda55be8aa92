/**
 * Finds a plugin distribution in baseDir. Two names are accepted:
 * `<name>-<version>-<os>-<arch>.zip` (what geth >= 21.4.1 looks for) and
 * `<name>-<version>.zip` (what the docs and the official Makefiles produce).
 *
 * When both exist the platform-specific file wins: it is the only form geth
 * reads, so a directory shared with geth behaves the same, and a plain name
 * says nothing about the platform it was built for. The choice is logged.
 * A 0-byte file is never "present": a failed download in geth leaves one
 * behind and geth then reports a checksum of empty input (issues #1199/#1200).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from '@qplugin/go-plugin/core/internal';
import { silentLogger } from '@qplugin/go-plugin/core/internal';

import type { PluginDefinition, Platform } from '../settings/types.js';

export type DistributionForm = 'platform' | 'plain';

export interface DistributionNames {
  /** `<name>-<version>-<os>-<arch>.zip`: geth's DistFileName(), also the download target. */
  platform: string;
  /** `<name>-<version>.zip`: the seed doc's name. */
  plain: string;
}

export interface LocatedDistribution {
  path: string;
  fileName: string;
  form: DistributionForm;
  size: number;
}

export function distributionFileNames(definition: PluginDefinition, platform: Platform): DistributionNames {
  const base = `${definition.name}-${definition.version}`;
  return { platform: `${base}-${platform.os}-${platform.arch}.zip`, plain: `${base}.zip` };
}

/** The local verifier's signature file for a zip: `<zip file name>.sha256sum.asc`, beside the zip. */
export function signatureFileFor(zipPath: string): string {
  return `${zipPath}.sha256sum.asc`;
}

async function probe(path: string): Promise<{ exists: boolean; size: number; regular: boolean }> {
  try {
    const s = await stat(path);
    return { exists: true, size: s.size, regular: s.isFile() };
  } catch {
    return { exists: false, size: 0, regular: false };
  }
}

/**
 * The distribution to use, or undefined when neither name holds a non-empty
 * regular file. Does no network access.
 */
export async function findLocalDistribution(
  baseDir: string,
  definition: PluginDefinition,
  platform: Platform,
  logger: Logger = silentLogger,
): Promise<LocatedDistribution | undefined> {
  const names = distributionFileNames(definition, platform);
  const found: LocatedDistribution[] = [];
  for (const form of ['platform', 'plain'] as const) {
    const fileName = names[form];
    const path = join(baseDir, fileName);
    const p = await probe(path);
    logger.debug('checking plugin zip file', { path, exist: p.exists, size: p.size });
    if (!p.exists) continue;
    if (!p.regular) {
      logger.warn('ignoring plugin zip path that is not a regular file', { path });
      continue;
    }
    if (p.size === 0) {
      logger.warn('ignoring empty plugin zip file (left by an interrupted download?)', { path });
      continue;
    }
    found.push({ path, fileName, form, size: p.size });
  }
  const chosen = found[0];
  if (chosen !== undefined && found.length > 1) {
    logger.info('both plugin zip names exist; using the platform-specific one', {
      chosen: chosen.path,
      ignored: found[1]?.path,
    });
  } else if (chosen !== undefined) {
    logger.debug('using plugin zip', { path: chosen.path, form: chosen.form });
  }
  return chosen;
}
