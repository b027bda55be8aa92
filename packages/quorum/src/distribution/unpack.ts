/**
 * Unpacks a plugin zip — the very bytes that were hashed: a buffer, or the
 * private copy snapshotArchive() made — into a fresh private directory
 * (mkdtemp, 0700), streaming entries to disk. Limits are enforced on the bytes that
 * actually inflate, not only on header values, and every file is created with
 * O_EXCL|O_NOFOLLOW under a parent whose realpath is inside the workspace.
 * On any failure the workspace is removed.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, realpath, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import * as zlib from 'node:zlib';

import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';

import type { Logger } from '@qplugin/go-plugin/core/internal';
import { silentLogger, messageOf } from '@qplugin/go-plugin/core/internal';

import { QuorumError } from '../errors.js';
import type { EntryPlan } from './zip-entry.js';
import { EntryNames, planEntry, unsafeEntry } from './zip-entry.js';

export interface UnpackLimits {
  maxEntries: number;
  /** Total inflated bytes of all files. */
  maxTotalBytes: number;
  /** Inflated:compressed ratio of one entry. */
  maxEntryRatio: number;
  /** Total inflated bytes : zip size. */
  maxTotalRatio: number;
  /** Ratios apply only past this many inflated bytes, so small, very compressible files (e.g. zero padding) pass. */
  ratioThresholdBytes: number;
}

export const DEFAULT_UNPACK_LIMITS: Readonly<UnpackLimits> = {
  maxEntries: 10_000,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntryRatio: 200,
  maxTotalRatio: 200,
  ratioThresholdBytes: 1024 * 1024,
};

export interface UnpackOptions {
  /** Parent of the per-start workspace. Default os.tmpdir(). */
  root?: string;
  limits?: Partial<UnpackLimits>;
  logger?: Logger;
}

export interface UnpackedFile {
  /** Name in the archive. */
  name: string;
  /** Absolute path in the workspace. */
  path: string;
  mode: number;
  size: number;
}

export interface UnpackResult {
  /** The workspace (realpath). */
  dir: string;
  files: UnpackedFile[];
}

// Node >= 20.15 has zlib.crc32; older 20.x skip the CRC check (the signature covers the bytes anyway).
const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** Refuses entries whose data ranges overlap (the "overlapping files" zip bomb). */
class Ranges {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  add(name: string, start: number, end: number): void {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.starts[mid] ?? 0) < start) lo = mid + 1;
      else hi = mid;
    }
    const before = this.ends[lo - 1];
    const after = this.starts[lo];
    if ((before !== undefined && before > start) || (after !== undefined && after < end)) {
      throw unsafeEntry(name, 'entry data overlaps another entry');
    }
    this.starts.splice(lo, 0, start);
    this.ends.splice(lo, 0, end);
  }
}

function inside(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}

/** Creates (or accepts existing) real directories for each parent segment. */
async function ensureParents(dir: string, plan: EntryPlan): Promise<string> {
  let current = dir;
  const parents = plan.kind === 'directory' ? plan.segments : plan.segments.slice(0, -1);
  for (const segment of parents) {
    current = join(current, segment);
    try {
      await mkdir(current, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const info = await lstat(current);
      if (!info.isDirectory()) throw unsafeEntry(plan.name, `${current} exists and is not a directory`);
    }
  }
  const real = await realpath(plan.kind === 'directory' ? current : dirname(join(dir, ...plan.segments)));
  if (!inside(dir, real)) throw unsafeEntry(plan.name, 'resolves outside the workspace');
  return current;
}

/**
 * Inflated bytes per chunk: twice zlib's default (yauzl's), so a large entry
 * takes half the trips through the thread pool and half the writes; a 51 MiB
 * distribution unpacks in ~0.7 of the time. Larger chunks are faster still but
 * raise the peak RSS (fewer, larger dead buffers per scavenge): over 16 KiB,
 * +9 MB at 64 KiB and +30 MB at 256 KiB, against +2–4 MB here, which the
 * reused read buffer below more than pays back (bench/findings.md §28).
 */
const INFLATE_CHUNK_BYTES = 32 * 1024;

/** Compressed bytes read per call, into one buffer reused for the whole archive. */
const READ_CHUNK_BYTES = 64 * 1024;

/** Where an archive's compressed bytes are read from: its file (one handle, one buffer) or memory. */
interface RawSource {
  zip: ArchiveSource;
  file: FileHandle | undefined;
  buffer: Buffer;
}

/**
 * The bytes [start, start + length) of the archive, chunk by chunk. A chunk is
 * a view of the reused buffer: the caller is done with it before it asks for
 * the next (yauzl's reader allocated a fresh 16 KiB buffer per read, garbage
 * that waits for a scavenge: bench/findings.md §28).
 */
async function* rawRange(src: RawSource, start: number, length: number): AsyncGenerator<Buffer> {
  const { zip, file, buffer } = src;
  // yauzl's local-header read has already bounded [start, start + length) by the archive's size.
  if (Buffer.isBuffer(zip)) {
    for (let off = 0; off < length; off += buffer.length) {
      yield zip.subarray(start + off, start + Math.min(length, off + buffer.length));
    }
    return;
  }
  for (let pos = start, left = length; left > 0;) {
    const { bytesRead } = await file!.read(buffer, 0, Math.min(buffer.length, left), pos);
    // Only if the file shrank under us: without it the loop would never end.
    if (bytesRead === 0) throw new Error('entry data runs past the end of the archive');
    yield buffer.subarray(0, bytesRead);
    pos += bytesRead;
    left -= bytesRead;
  }
}

/**
 * An entry's data: stored (method 0) as read, deflated (8) through an inflater
 * of ours (its chunk size, and fed from the reused buffer: each chunk is
 * written in only once zlib has taken the previous one in). The plan has
 * already refused encrypted entries and other methods.
 */
function entryData(
  src: RawSource,
  entry: Entry,
  fileDataStart: number,
): AsyncIterable<Buffer> & { stop(): void } {
  const raw = rawRange(src, fileDataStart, entry.compressedSize);
  if (entry.compressionMethod === 0) return Object.assign(raw, { stop: () => void raw.return(undefined) });
  const inflate = zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
  const feed = async (): Promise<void> => {
    for await (const chunk of raw) {
      await new Promise<void>((resolve, reject) =>
        inflate.write(chunk, (err) => (err ? reject(err) : resolve())),
      );
    }
    inflate.end();
  };
  feed().catch((err: unknown) => inflate.destroy(err as Error));
  return Object.assign(inflate as AsyncIterable<Buffer>, {
    stop: () => {
      inflate.destroy();
      void raw.return(undefined);
    },
  });
}

interface Totals {
  declared: number;
  inflated: number;
}

async function extractFile(
  src: RawSource,
  fileDataStart: number,
  entry: Entry,
  plan: EntryPlan,
  target: string,
  zipSize: number,
  totals: Totals,
  limits: UnpackLimits,
): Promise<number> {
  const name = plan.name;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  const file = await open(target, flags, 0o600);
  let written = 0;
  let crc = 0;
  try {
    const data = entryData(src, entry, fileDataStart);
    try {
      for await (const chunk of data) {
        written += chunk.length;
        totals.inflated += chunk.length;
        if (written > entry.uncompressedSize) {
          throw unsafeEntry(name, `inflates past its declared size of ${entry.uncompressedSize} bytes`);
        }
        if (totals.inflated > limits.maxTotalBytes) {
          throw unsafeEntry(name, `archive inflates past the ${limits.maxTotalBytes}-byte limit`);
        }
        if (
          written > limits.ratioThresholdBytes &&
          written / Math.max(entry.compressedSize, 1) > limits.maxEntryRatio
        ) {
          throw unsafeEntry(name, `compression ratio exceeds ${limits.maxEntryRatio}:1`);
        }
        if (
          totals.inflated > limits.ratioThresholdBytes &&
          totals.inflated / zipSize > limits.maxTotalRatio
        ) {
          throw unsafeEntry(name, `archive compression ratio exceeds ${limits.maxTotalRatio}:1`);
        }
        if (crc32) crc = crc32(chunk, crc);
        await file.write(chunk);
      }
    } finally {
      data.stop();
    }
    if (written !== entry.uncompressedSize) {
      throw unsafeEntry(name, `data is ${written} bytes, header says ${entry.uncompressedSize}`);
    }
    if (crc32 && crc >>> 0 !== entry.crc32 >>> 0) throw unsafeEntry(name, 'CRC-32 mismatch');
    // chmod, not the open mode, so the umask cannot change the exec bit.
    await file.chmod(plan.mode);
  } finally {
    await file.close();
  }
  return written;
}

function checkDeclared(entry: Entry, plan: EntryPlan, totals: Totals, limits: UnpackLimits): void {
  if (plan.kind !== 'file') return;
  const size = entry.uncompressedSize;
  totals.declared += size;
  if (totals.declared > limits.maxTotalBytes) {
    throw unsafeEntry(plan.name, `archive declares more than ${limits.maxTotalBytes} bytes`);
  }
  if (size > limits.ratioThresholdBytes && size / Math.max(entry.compressedSize, 1) > limits.maxEntryRatio) {
    throw unsafeEntry(plan.name, `declared compression ratio exceeds ${limits.maxEntryRatio}:1`);
  }
}

/** A zip to unpack: bytes in memory, or a file only we can write (see snapshotArchive). */
export type ArchiveSource = Buffer | { path: string; size: number };

async function extractAll(
  zip: ArchiveSource,
  dir: string,
  limits: UnpackLimits,
  logger: Logger,
): Promise<UnpackedFile[]> {
  let zipfile: ZipFile;
  const zipSize = Buffer.isBuffer(zip) ? zip.length : zip.size;
  try {
    const options = {
      lazyEntries: true,
      decodeStrings: false,
      // Sizes are checked below, with the entry's name in the error.
      validateEntrySizes: false,
      strictFileNames: true,
    };
    zipfile = Buffer.isBuffer(zip)
      ? await yauzl.fromBufferPromise(zip, options)
      : await yauzl.openPromise(zip.path, { ...options, autoClose: false });
  } catch (cause) {
    throw new QuorumError('UNPACK_UNSAFE', `malformed plugin archive: ${messageOf(cause)}`, {
      cause,
    });
  }
  const files: UnpackedFile[] = [];
  let current: string | undefined;
  const src: RawSource = { zip, file: undefined, buffer: Buffer.allocUnsafe(READ_CHUNK_BYTES) };
  try {
    if (!Buffer.isBuffer(zip)) src.file = await open(zip.path, 'r');
    if (zipfile.entryCount > limits.maxEntries) {
      throw new QuorumError(
        'UNPACK_UNSAFE',
        `plugin archive has ${zipfile.entryCount} entries, over the limit of ${limits.maxEntries}`,
        {
          details: { entryCount: zipfile.entryCount, maxEntries: limits.maxEntries },
        },
      );
    }
    const names = new EntryNames();
    const ranges = new Ranges();
    const totals: Totals = { declared: 0, inflated: 0 };
    for await (const entry of zipfile.eachEntry()) {
      // decodeStrings:false leaves names raw so that our rules, not a silent rewrite, judge them.
      const fileName = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        true,
      );
      current = fileName;
      const plan = planEntry({ ...entry, fileName });
      names.add(plan);
      checkDeclared(entry, plan, totals, limits);
      const { fileDataStart } = await zipfile.readLocalFileHeaderPromise(entry, { minimal: true });
      ranges.add(plan.name, entry.relativeOffsetOfLocalHeader, fileDataStart + entry.compressedSize);
      const target = join(dir, ...plan.segments);
      await ensureParents(dir, plan);
      if (plan.kind === 'file') {
        const size = await extractFile(src, fileDataStart, entry, plan, target, zipSize, totals, limits);
        files.push({ name: plan.name, path: target, mode: plan.mode, size });
      }
      current = undefined;
    }
    logger.debug('plugin archive unpacked', { dir, files: files.length });
    return files;
  } catch (err) {
    if (err instanceof QuorumError) throw err;
    const message = messageOf(err);
    if (current === undefined) {
      throw new QuorumError('UNPACK_UNSAFE', `malformed plugin archive: ${message}`, { cause: err });
    }
    throw unsafeEntry(current, `cannot extract: ${message}`, { cause: message });
  } finally {
    zipfile.close();
    await src.file?.close();
  }
}

export async function unpackArchive(zip: ArchiveSource, options: UnpackOptions = {}): Promise<UnpackResult> {
  const limits = { ...DEFAULT_UNPACK_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  // mkdtemp creates the directory 0700; realpath so containment checks survive a symlinked tmpdir.
  const dir = await realpath(await mkdtemp(join(options.root ?? tmpdir(), 'qplugin-')));
  try {
    return { dir, files: await extractAll(zip, dir, limits, logger) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
