/**
 * What `qplugin check` runs: a command as given, or a distribution zip
 * unpacked the way geth does it (safe unpacker, plugin-meta.json, entrypoint
 * plus parameters, working directory = the unpack directory). The zip's
 * signature is only checked when asked (--verify / --key).
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import { PLUGIN_META_FILE, verifyDistribution } from '@qplugin/quorum';
import {
  loadPluginMeta,
  parsePluginMeta,
  snapshotArchive,
  removeWorkspace,
  unpackArchive,
  goPlatform,
} from '@qplugin/quorum/internal';
import { isQuorumError, QuorumError } from '@qplugin/quorum';

export interface CheckTarget {
  command: string;
  args: string[];
  cwd?: string;
  /** For the report. */
  describe: Record<string, unknown>;
  /** Removes the unpacked workspace (zip). */
  cleanup(): Promise<void>;
}

export interface ZipTargetOptions {
  verify: boolean;
  /** Public key (path or file:// URI) for --verify; default `<zip dir>/gpg.key` like geth. */
  key?: string;
}

export function isZipTarget(positionals: readonly string[]): boolean {
  const [first] = positionals;
  if (positionals.length !== 1 || !first?.toLowerCase().endsWith('.zip')) return false;
  try {
    return statSync(first).isFile();
  } catch {
    return false;
  }
}

export function commandTarget(positionals: readonly string[]): CheckTarget {
  const [command, ...args] = positionals as [string, ...string[]];
  return {
    command,
    args,
    describe: { kind: 'command', command, args },
    cleanup: async () => {},
  };
}

export async function zipTarget(path: string, options: ZipTargetOptions): Promise<CheckTarget> {
  const zipPath = resolve(path);
  const snapshot = await snapshotArchive(zipPath);
  const checksum = snapshot.checksum;
  let verification: Record<string, unknown> = { mode: 'skip' };
  if (options.verify) {
    // The definition only matters for online verification; local needs the zip, signature and key.
    const result = await verifyDistribution({
      mode: 'local',
      checksum,
      definition: { name: '', version: '' },
      zipPath,
      baseDir: dirname(zipPath),
      ...(options.key !== undefined ? { publicKey: options.key } : {}),
    }).catch(async (err: unknown) => {
      await snapshot.remove();
      // The verifier speaks geth's flag names; here the key comes from --key.
      if (isQuorumError(err) && err.fix)
        throw new QuorumError(err.code, err.message, {
          fix: err.fix.replace('--plugins.publickey', '--key'),
          details: err.details,
          cause: err,
        });
      throw err;
    });
    verification = { mode: 'local', keyFingerprint: result.keyFingerprint, signedOver: result.signedOver };
  }
  const { dir } = await unpackArchive(snapshot).finally(() => snapshot.remove());
  try {
    // Name and version come from the zip itself: there are no settings to compare them with.
    // (A missing file is left to loadPluginMeta, which says so in geth's words.)
    const text = await readFile(join(dir, PLUGIN_META_FILE), 'utf8').catch(() => undefined);
    const named = text !== undefined ? parsePluginMeta(text) : { name: '', version: '' };
    const loaded = await loadPluginMeta(dir, { name: named.name, version: named.version }, goPlatform());
    const meta = loaded.meta;
    return {
      command: loaded.executable,
      args: loaded.args,
      cwd: dir,
      describe: {
        kind: 'zip',
        zip: zipPath,
        checksum,
        verification,
        meta,
        command: loaded.executable,
        args: loaded.args,
      },
      cleanup: () => removeWorkspace(dir),
    };
  } catch (err) {
    await removeWorkspace(dir);
    throw err;
  }
}
