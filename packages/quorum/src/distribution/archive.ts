/**
 * Reads a distribution zip exactly once. The returned bytes are hashed,
 * verified and unpacked, so what runs is what was verified: geth hashed the
 * path and reopened it to unzip, leaving a window for a swap in between.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

import { QuorumError } from '../errors.js';

export const DEFAULT_MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;

/** Lower-case hex SHA-256, the string geth signs and logs. */
export function sha256Checksum(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readArchive(
  path: string,
  maxBytes: number = DEFAULT_MAX_ARCHIVE_BYTES,
): Promise<Buffer> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (cause) {
    throw new QuorumError(
      'DIST_NOT_FOUND',
      `cannot open plugin distribution ${path}: ${(cause as Error).message}`,
      {
        details: { path },
        cause,
      },
    );
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
    const bytes = await file.readFile();
    if (bytes.length !== info.size) {
      throw new QuorumError('UNPACK_UNSAFE', `plugin distribution ${path} changed while it was read`, {
        details: { path, expected: info.size, read: bytes.length },
      });
    }
    return bytes;
  } finally {
    await file.close();
  }
}
