/**
 * What `qplugin inspect` finds in a plugin zip, entirely in memory (nothing
 * is extracted to disk). Entry safety is judged by the unpacker's own rules
 * (planEntry, EntryNames) and plugin-meta.json by parsePluginMeta, so inspect
 * and `run` cannot disagree; only geth-specific hazards that our unpacker
 * tolerates (missing parent directories, exec bits) are checked here.
 */
import { basename } from 'node:path';
import * as zlib from 'node:zlib';

import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';

import {
  DEFAULT_UNPACK_LIMITS,
  PLUGIN_META_FILE,
  EntryNames,
  parsePluginMeta,
  planEntry,
  readArchive,
  sha256Checksum,
} from '@qplugin/quorum/distribution/internal';
import type { EntryPlan } from '@qplugin/quorum/distribution/internal';
import { messageOf } from '@qplugin/go-plugin/core/internal';

export interface InspectedEntry {
  name: string;
  kind: 'file' | 'directory';
  size: number;
  compressedSize: number;
  /** Unix mode from the external attributes; null when the creator OS stores none (geth then derives 0666). */
  unixMode: number | null;
  executable: boolean;
  /** Refused by the unpacker's rules. */
  unsafe: boolean;
}

export interface Finding {
  severity: 'error' | 'warning';
  /** The QuorumError code when a library rule decided, else a short name for the check. */
  code: string;
  message: string;
  entry?: string;
  fix?: string;
}

export interface InspectReport {
  file: string;
  bytes: number;
  sha256: string;
  entries: InspectedEntry[];
  /** plugin-meta.json as parsed JSON (also when it breaks rules), null when absent or not JSON. */
  meta: Record<string, unknown> | null;
  errors: Finding[];
  warnings: Finding[];
}

/** geth's isCleanEntryPoint (utils.go): the entrypoint is a plain file name at the zip root. */
const CLEAN_ENTRYPOINT = /^[\w\-.]+$/;
const UNIX_HOSTS = new Set([3, 19]);
const MAX_META_BYTES = 1024 * 1024;
const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

class Findings {
  readonly errors: Finding[] = [];
  readonly warnings: Finding[] = [];

  add(severity: Finding['severity'], code: string, message: string, extra: Partial<Finding> = {}): void {
    (severity === 'error' ? this.errors : this.warnings).push({ severity, code, message, ...extra });
  }

  /** A thrown library error (QuorumError or other) as an error finding. */
  fromError(err: unknown, entry?: string): void {
    const e = err as { code?: unknown; message?: unknown; fix?: unknown };
    this.add('error', typeof e.code === 'string' ? e.code : 'UNPACK_UNSAFE', String(e.message ?? err), {
      ...(entry !== undefined ? { entry } : {}),
      ...(typeof e.fix === 'string' ? { fix: e.fix } : {}),
    });
  }
}

/**
 * Inflates one entry in memory to prove its data is what the headers claim
 * (size, CRC), keeping the bytes only for plugin-meta.json.
 */
async function readEntry(
  zipfile: ZipFile,
  entry: Entry,
  keep: boolean,
  budget: { left: number },
): Promise<Buffer | undefined> {
  const stream = await zipfile.openReadStreamPromise(entry);
  const kept: Buffer[] = [];
  let crc = 0;
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      budget.left -= chunk.length;
      if (budget.left < 0)
        throw new Error(`archive inflates past ${DEFAULT_UNPACK_LIMITS.maxTotalBytes} bytes`);
      if (crc32) crc = crc32(chunk, crc);
      if (keep && size <= MAX_META_BYTES) kept.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  if (crc32 && crc >>> 0 !== entry.crc32 >>> 0) throw new Error('CRC-32 mismatch');
  if (keep && size > MAX_META_BYTES) throw new Error(`larger than ${MAX_META_BYTES} bytes`);
  return keep ? Buffer.concat(kept) : undefined;
}

/**
 * Every meta rule, one field at a time: parsePluginMeta stops at the first
 * problem, so each field is checked on its own next to valid placeholders.
 */
function metaProblems(text: string, findings: Findings): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    try {
      parsePluginMeta(text);
    } catch (err) {
      findings.fromError(err, PLUGIN_META_FILE);
    }
    return null;
  }
  const obj = value as Record<string, unknown>;
  for (const field of ['name', 'version', 'entrypoint', 'os', 'arch', 'parameters']) {
    try {
      parsePluginMeta(JSON.stringify({ name: 'n', version: 'v', [field]: obj[field] }));
    } catch (err) {
      findings.fromError(err, PLUGIN_META_FILE);
    }
  }
  return obj;
}

function checkEntrypoint(
  meta: Record<string, unknown>,
  plans: readonly EntryPlan[],
  entries: readonly InspectedEntry[],
  findings: Findings,
): void {
  const entrypoint = meta.entrypoint;
  const fix =
    'Set "entrypoint" in plugin-meta.json to the name of an executable file at the root of the zip.';
  if (entrypoint !== undefined && entrypoint !== null && typeof entrypoint !== 'string') return; // reported by metaProblems
  if (entrypoint === undefined || entrypoint === null || entrypoint === '') {
    findings.add('error', 'META_ENTRYPOINT', 'plugin-meta.json entry point not set', { fix });
    return;
  }
  if (!CLEAN_ENTRYPOINT.test(entrypoint) || entrypoint === '.' || entrypoint === '..') {
    findings.add(
      'error',
      'META_ENTRYPOINT',
      `entrypoint must be only alphanumeric value (found ${JSON.stringify(entrypoint)})`,
      {
        fix: 'geth accepts only letters, digits, `_`, `-` and `.`: no paths, spaces or shell syntax.',
      },
    );
    return;
  }
  const plan = plans.find((p) => p.segments.length === 1 && p.segments[0] === entrypoint);
  const entry = plan && entries.find((e) => e.name === plan.name);
  if (entry?.unsafe) return; // its data error is reported already
  if (entry === undefined) {
    findings.add(
      'error',
      'META_ENTRYPOINT',
      `entry point does not exist: no ${entrypoint} at the root of the zip`,
      { fix },
    );
  } else if (entry.kind !== 'file') {
    findings.add('error', 'META_ENTRYPOINT', `entry point ${entrypoint} is not a regular file`, {
      entry: entry.name,
      fix,
    });
  } else if (!entry.executable) {
    findings.add(
      'warning',
      'EXEC_BIT',
      `entry point ${entrypoint} is stored without the exec bit (${entry.unixMode === null ? 'no Unix mode in the zip' : `mode 0o${entry.unixMode.toString(8)}`}): geth cannot start it (permission denied) and qplugin run refuses it`,
      {
        entry: entry.name,
        fix: 'Store it with Unix mode 0100755 (chmod +x before zip, or qplugin pack, which does).',
      },
    );
  }
}

/** `<name>-<version>.zip` or `<name>-<version>-<os>-<arch>.zip`, agreeing with the meta. */
function checkFileName(file: string, meta: Record<string, unknown>, findings: Findings): void {
  const { name, version, os, arch } = meta;
  if (typeof name !== 'string' || typeof version !== 'string' || name === '' || version === '') return;
  const fileName = basename(file);
  const stem = `${name}-${version}`;
  if (fileName === `${stem}.zip`) {
    const platform =
      typeof os === 'string' && typeof arch === 'string' ? `${os}-${arch}` : '<os>-<arch>, e.g. linux-amd64';
    findings.add(
      'warning',
      'PLAIN_NAME',
      `file name ${fileName} has no -<os>-<arch>: geth will not find this (geth >= 21.4.1 looks for ${stem}-<os>-<arch>.zip, then tries to download it and leaves a 0-byte zip behind)`,
      {
        fix: `Rename it to ${stem}-${platform}.zip (or pack it again without --plain-name).`,
      },
    );
    return;
  }
  const suffix = fileName.startsWith(`${stem}-`)
    ? /^([^-]+)-([^-]+)\.zip$/.exec(fileName.slice(stem.length + 1))
    : null;
  if (suffix === null) {
    findings.add(
      'warning',
      'NAME_MISMATCH',
      `file name ${fileName} does not match plugin-meta.json (name ${JSON.stringify(name)}, version ${JSON.stringify(version)}): settings naming this plugin look for ${stem}-<os>-<arch>.zip`,
      {
        fix: `Rename the file to ${stem}-<os>-<arch>.zip, or fix name/version in plugin-meta.json.`,
      },
    );
    return;
  }
  for (const [field, inName, inMeta] of [
    ['os', suffix[1], os],
    ['arch', suffix[2], arch],
  ] as const) {
    if (typeof inMeta === 'string' && inMeta !== inName)
      findings.add(
        'warning',
        'NAME_MISMATCH',
        `file name says ${field} ${JSON.stringify(inName)} but plugin-meta.json says ${JSON.stringify(inMeta)}`,
        { fix: 'Rename the zip for the platform the plugin was built for, or fix plugin-meta.json.' },
      );
  }
}

/** Files in subdirectories: geth creates no parent directories for files, only for directory entries. */
function checkLayout(plans: readonly EntryPlan[], findings: Findings): void {
  const made = new Set<string>();
  const dirs: string[] = [];
  for (const plan of plans) {
    const parents = plan.kind === 'directory' ? plan.segments.length : plan.segments.length - 1;
    if (plan.kind === 'directory') {
      dirs.push(plan.name);
      for (let i = 1; i <= parents; i++) made.add(plan.segments.slice(0, i).join('/'));
      continue;
    }
    if (parents === 0) continue;
    const parent = plan.segments.slice(0, -1).join('/');
    findings.add(
      'warning',
      'NESTED_PATH',
      made.has(parent)
        ? `${plan.name} is in a subdirectory: geth only runs the entrypoint at the root; official zips are flat (zip -j)`
        : `${plan.name} is in a subdirectory with no directory entry before it: geth fails to extract it (no such file or directory)`,
      { entry: plan.name, fix: 'Build a flat zip (zip -j, or qplugin pack --file name=path).' },
    );
  }
  if (dirs.length > 0)
    findings.add(
      'warning',
      'NESTED_PATH',
      `directory entries ${dirs.join(', ')}: official plugin zips are flat (zip -j)`,
    );
}

export async function inspectZip(file: string): Promise<InspectReport> {
  const bytes = await readArchive(file);
  const findings = new Findings();
  const entries: InspectedEntry[] = [];
  const report = (meta: Record<string, unknown> | null): InspectReport => ({
    file,
    bytes: bytes.length,
    sha256: sha256Checksum(bytes),
    entries,
    meta,
    errors: findings.errors,
    warnings: findings.warnings,
  });
  let zipfile: ZipFile;
  try {
    zipfile = await yauzl.fromBufferPromise(bytes, {
      lazyEntries: true,
      decodeStrings: false,
      validateEntrySizes: true,
      strictFileNames: true,
    });
  } catch (err) {
    findings.add('error', 'UNPACK_UNSAFE', `malformed plugin archive: ${messageOf(err)}`);
    return report(null);
  }
  const plans: EntryPlan[] = [];
  let metaText: string | undefined;
  let metaSeen = false;
  try {
    if (zipfile.entryCount > DEFAULT_UNPACK_LIMITS.maxEntries) {
      findings.add(
        'error',
        'UNPACK_UNSAFE',
        `plugin archive has ${zipfile.entryCount} entries, over the limit of ${DEFAULT_UNPACK_LIMITS.maxEntries}`,
      );
      return report(null);
    }
    const names = new EntryNames();
    const budget = { left: DEFAULT_UNPACK_LIMITS.maxTotalBytes };
    for await (const entry of zipfile.eachEntry()) {
      const name = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        true,
      );
      const unix = UNIX_HOSTS.has(entry.versionMadeBy >> 8);
      const shown: InspectedEntry = {
        name,
        kind: name.endsWith('/') ? 'directory' : 'file',
        size: entry.uncompressedSize,
        compressedSize: entry.compressedSize,
        unixMode: unix ? entry.externalFileAttributes >>> 16 : null,
        executable: false,
        unsafe: false,
      };
      entries.push(shown);
      let plan: EntryPlan;
      try {
        plan = planEntry({ ...entry, fileName: name });
        names.add(plan);
      } catch (err) {
        shown.unsafe = true;
        findings.fromError(err, name);
        continue;
      }
      shown.kind = plan.kind;
      shown.executable = plan.kind === 'file' && (plan.mode & 0o100) !== 0;
      plans.push(plan);
      if (plan.kind !== 'file') continue;
      const isMeta = plan.segments.length === 1 && plan.segments[0] === PLUGIN_META_FILE;
      metaSeen ||= isMeta;
      try {
        const data = await readEntry(zipfile, entry, isMeta, budget);
        if (isMeta) metaText = data?.toString('utf8');
      } catch (err) {
        shown.unsafe = true;
        findings.add('error', 'UNPACK_UNSAFE', `unsafe entry ${JSON.stringify(name)}: ${messageOf(err)}`, {
          entry: name,
        });
        if (budget.left < 0) break;
      }
    }
  } catch (err) {
    findings.add('error', 'UNPACK_UNSAFE', `malformed plugin archive: ${messageOf(err)}`);
  } finally {
    zipfile.close();
  }

  checkLayout(plans, findings);
  // A meta entry that failed to read or was unsafe is reported already.
  if (metaText === undefined && metaSeen) return report(null);
  if (metaText === undefined) {
    const nested = plans.find((p) => p.segments.at(-1) === PLUGIN_META_FILE);
    findings.add('error', 'META_INVALID', `${PLUGIN_META_FILE} is missing at the root of the zip`, {
      fix: nested
        ? `Move ${nested.name} to the root (zip -j).`
        : 'Add plugin-meta.json with name, version and entrypoint at the root of the zip.',
    });
    return report(null);
  }
  const meta = metaProblems(metaText, findings);
  if (meta !== null) {
    checkEntrypoint(meta, plans, entries, findings);
    checkFileName(file, meta, findings);
  }
  return report(meta);
}
