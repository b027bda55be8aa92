/**
 * SecureConfig: the executable's checksum is verified before it is started,
 * compared in constant time. As in go-plugin, the file could still change
 * between the check and exec; callers that need more run plugins from a
 * directory only they can write (the Quorum manager unpacks into one).
 */
import { createHash, getHashes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';

import { GoPluginError, messageOf } from '../protocol/errors.js';

export interface SecureConfig {
  /** A node:crypto hash name, e.g. `sha256`. */
  hash: string;
  /** Expected digest: bytes, or hex (case-insensitive). */
  checksum: Uint8Array | string;
}

function expectedBytes(checksum: Uint8Array | string): Buffer {
  if (typeof checksum !== 'string' || checksum === '') return Buffer.from(checksum);
  if (!/^([0-9a-fA-F]{2})+$/.test(checksum)) {
    throw new GoPluginError('CHECKSUM_ERROR', 'error verifying checksum: checksum is not hex', {
      fix: 'Give secureConfig.checksum as hex digits or bytes.',
      details: { checksum },
    });
  }
  return Buffer.from(checksum, 'hex');
}

/** Resolves when `path` has the expected digest; rejects with CHECKSUM_MISMATCH/CHECKSUM_ERROR. */
export async function verifyExecutable(path: string, config: SecureConfig): Promise<void> {
  const expected = expectedBytes(config.checksum);
  if (expected.length === 0) {
    throw new GoPluginError('CHECKSUM_ERROR', 'error verifying checksum: no checksum provided', {
      fix: 'Set secureConfig.checksum to the expected digest of the executable.',
    });
  }
  if (!getHashes().includes(config.hash.toLowerCase())) {
    throw new GoPluginError('CHECKSUM_ERROR', 'error verifying checksum: no hash implementation provided', {
      fix: `secureConfig.hash must be a node:crypto hash such as sha256, not ${JSON.stringify(config.hash)}.`,
    });
  }
  const hash = createHash(config.hash);
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (err) {
    throw new GoPluginError('CHECKSUM_ERROR', `error verifying checksum: ${messageOf(err)}`, {
      fix: 'The plugin executable must exist and be readable.',
      details: { path },
      cause: err,
    });
  }
  const actual = hash.digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new GoPluginError('CHECKSUM_MISMATCH', 'checksums did not match', {
      fix: 'The executable is not the one you expect: it may have been modified or replaced. Do not run it; reinstall it from a trusted source.',
      details: { path, expected: expected.toString('hex'), actual: actual.toString('hex') },
    });
  }
}
