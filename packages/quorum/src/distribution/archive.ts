/**
 * Reads a distribution zip exactly once. What is hashed, verified and
 * unpacked is one set of bytes: the zip is copied, while it is hashed, into a
 * private file nobody else can write, and unpacked from that copy (geth
 * hashed the path and reopened it to unzip, leaving a window for a swap in
 * between). The zip is streamed, never held in memory.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { QuorumError } from '../errors.js';
import { messageOf } from '@qplugin/go-plugin/core/internal';

export const DEFAULT_MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;

/** Lower-case hex SHA-256, the string geth signs and logs. */
export function sha256Checksum(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Opens a distribution for reading after the checks every reader needs; returns it and its size. */
async function openDistribution(path: string, maxBytes: number): Promise<{ file: FileHandle; size: number }> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (cause) {
    throw new QuorumError('DIST_NOT_FOUND', `cannot open plugin distribution ${path}: ${messageOf(cause)}`, {
      details: { path },
      cause,
    });
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) {
      throw new QuorumError('DIST_NOT_FOUND', `plugin distribution ${path} is not a regular file`, {
        details: { path },
      });
    }
    if (info.size === 0) {
      throw new QuorumError('DIST_NOT_FOUND', `plugin distribution ${path} is empty`, {
        fix: 'Delete the empty file (an interrupted download leaves one) and download the plugin again.',
        details: { path },
      });
    }
    if (info.size > maxBytes) {
      throw new QuorumError(
        'UNPACK_UNSAFE',
        `plugin distribution ${path} is ${info.size} bytes, over the ${maxBytes}-byte limit`,
        {
          details: { path, size: info.size, maxBytes },
        },
      );
    }
    return { file, size: info.size };
  } catch (err) {
    await file.close();
    throw err;
  }
}

/** Reads all of `file` in chunks, handing each to `each`; fails if the size changed meanwhile. */
async function readChunks(
  file: FileHandle,
  path: string,
  size: number,
  each: (chunk: Buffer) => Promise<void> | void,
): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size));
  let read = 0;
  for (;;) {
    const { bytesRead } = await file.read(buf, 0, buf.length, read);
    if (bytesRead === 0) break;
    read += bytesRead;
    if (read > size) break;
    await each(buf.subarray(0, bytesRead));
  }
  if (read !== size) {
    throw new QuorumError('UNPACK_UNSAFE', `plugin distribution ${path} changed while it was read`, {
      details: { path, expected: size, read },
    });
  }
}

/** The whole zip in memory (small files only: signatures' subjects in tests, inspection). */
export async function readArchive(
  path: string,
  maxBytes: number = DEFAULT_MAX_ARCHIVE_BYTES,
): Promise<Buffer> {
  const { file, size } = await openDistribution(path, maxBytes);
  try {
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    await readChunks(file, path, size, (chunk) => {
      chunk.copy(out, at);
      at += chunk.length;
    });
    return out;
  } finally {
    await file.close();
  }
}

/** SHA-256 of a distribution, streamed. */
export async function sha256File(
  path: string,
  maxBytes: number = DEFAULT_MAX_ARCHIVE_BYTES,
): Promise<string> {
  const { file, size } = await openDistribution(path, maxBytes);
  try {
    const hash = createHash('sha256');
    await readChunks(file, path, size, (chunk) => {
      hash.update(chunk);
    });
    return hash.digest('hex');
  } finally {
    await file.close();
  }
}

/** A private copy of a distribution and the checksum of exactly its bytes. */
export interface ArchiveSnapshot {
  /** The copy (0600, in a 0700 directory of ours): unpack from here. */
  path: string;
  checksum: string;
  size: number;
  /** Deletes the copy and its directory. */
  remove(): Promise<void>;
}

/**
 * Copies `path` into a fresh private directory under `root`, hashing the
 * bytes as they are written, so the checksum describes the copy exactly.
 */
export async function snapshotArchive(
  path: string,
  options: { maxBytes?: number; root?: string } = {},
): Promise<ArchiveSnapshot> {
  const { file, size } = await openDistribution(path, options.maxBytes ?? DEFAULT_MAX_ARCHIVE_BYTES);
  const dir = await mkdtemp(join(options.root ?? tmpdir(), 'qplugin-zip-')).catch(async (err: unknown) => {
    await file.close();
    throw err;
  });
  const copyPath = join(dir, 'distribution.zip');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
    const copy = await open(copyPath, flags, 0o600);
    const hash = createHash('sha256');
    try {
      await readChunks(file, path, size, async (chunk) => {
        hash.update(chunk);
        await copy.write(chunk);
      });
    } finally {
      await copy.close();
    }
    return { path: copyPath, checksum: hash.digest('hex'), size, remove };
  } catch (err) {
    await remove();
    throw err;
  } finally {
    await file.close();
  }
}
