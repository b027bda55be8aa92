/**
 * Per-entry safety rules for plugin zips, independent of any I/O. An entry
 * may only become a regular file or a directory strictly inside the
 * workspace; everything else (paths that escape, links, devices, collisions,
 * encryption) is refused with the entry's name.
 */
import { QuorumError } from '../errors.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const TYPE_NAMES: Record<number, string> = {
  0o120000: 'symbolic link',
  0o140000: 'socket',
  0o060000: 'block device',
  0o020000: 'character device',
  0o010000: 'FIFO',
};
/** "version made by" host systems whose external attributes hold a Unix mode (Unix, macOS). */
const UNIX_HOSTS = new Set([3, 19]);
const MSDOS_DIRECTORY = 0x10;

export interface EntryHeader {
  fileName: string;
  versionMadeBy: number;
  externalFileAttributes: number;
  generalPurposeBitFlag: number;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
}

export interface EntryPlan {
  name: string;
  /** Normalised relative path segments (no '', '.', '..'). */
  segments: string[];
  kind: 'file' | 'directory';
  /** Mode to create with: 0755/0644 for files, 0755 for directories. */
  mode: number;
}

export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function unsafeEntry(
  name: string,
  reason: string,
  details: Record<string, unknown> = {},
): QuorumError {
  return new QuorumError(
    'UNPACK_UNSAFE',
    `unsafe entry ${JSON.stringify(name)} in plugin archive: ${reason}`,
    {
      fix: 'Rebuild the zip with only regular files and directories under relative paths (e.g. `zip -j`), or get the plugin from its publisher again.',
      details: { entry: name, reason, ...details },
    },
  );
}

/** Relative, forward-slash, no escapes: returns the normalised segments. */
export function entrySegments(name: string): string[] {
  if (name === '') throw unsafeEntry(name, 'empty name');
  if (hasControlCharacter(name)) throw unsafeEntry(name, 'control character in name');
  if (name.includes('\\')) throw unsafeEntry(name, 'backslash in name');
  if (name.startsWith('/')) throw unsafeEntry(name, 'absolute path');
  if (/^[A-Za-z]:/.test(name)) throw unsafeEntry(name, 'drive letter in name');
  const raw = name.split('/');
  if (raw.includes('..')) throw unsafeEntry(name, 'parent directory (..) in path');
  const segments = raw.filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) throw unsafeEntry(name, 'names the archive root');
  const long = segments.find((s) => Buffer.byteLength(s) > 255);
  if (long !== undefined) throw unsafeEntry(name, 'path segment longer than 255 bytes');
  return segments;
}

export function planEntry(h: EntryHeader): EntryPlan {
  const name = h.fileName;
  const segments = entrySegments(name);
  if (h.generalPurposeBitFlag & 0x1) throw unsafeEntry(name, 'encrypted entry');
  if (h.compressionMethod !== 0 && h.compressionMethod !== 8) {
    throw unsafeEntry(name, `unsupported compression method ${h.compressionMethod}`);
  }
  if (h.compressionMethod === 0 && h.compressedSize !== h.uncompressedSize) {
    throw unsafeEntry(name, `stored entry sizes disagree (${h.compressedSize} != ${h.uncompressedSize})`);
  }
  const unix = UNIX_HOSTS.has(h.versionMadeBy >> 8);
  const unixMode = unix ? h.externalFileAttributes >>> 16 : 0;
  const type = unixMode & S_IFMT;
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    const what = TYPE_NAMES[type] ?? `file type 0o${type.toString(8)}`;
    throw unsafeEntry(name, `${what} entries are not allowed`, { mode: `0o${unixMode.toString(8)}` });
  }
  const directory =
    name.endsWith('/') || type === S_IFDIR || (!unix && (h.externalFileAttributes & MSDOS_DIRECTORY) !== 0);
  if (directory && type === S_IFREG) throw unsafeEntry(name, 'directory name with a regular-file mode');
  if (!directory && name.endsWith('/')) throw unsafeEntry(name, 'file name ends with /');
  if (directory && (h.uncompressedSize > 0 || h.compressedSize > 0)) {
    throw unsafeEntry(name, 'directory entry with data');
  }
  // Only the owner's exec bit decides; setuid/setgid/sticky and group/other write never survive.
  const executable = (unixMode & 0o111) !== 0;
  return {
    name,
    segments,
    kind: directory ? 'directory' : 'file',
    mode: directory || executable ? 0o755 : 0o644,
  };
}

/**
 * Tracks names across the archive: duplicates after normalisation, names
 * differing only by case or Unicode form (they collide on macOS/Windows), and
 * entries under a path that is already a file.
 */
export class EntryNames {
  private readonly kinds = new Map<string, 'file' | 'directory' | 'implicit'>();

  private static key(segments: readonly string[]): string {
    return segments.join('/').normalize('NFC').toLowerCase();
  }

  add(plan: EntryPlan): void {
    for (let i = 1; i < plan.segments.length; i++) {
      const parent = EntryNames.key(plan.segments.slice(0, i));
      const kind = this.kinds.get(parent);
      if (kind === 'file')
        throw unsafeEntry(plan.name, `a parent path (${plan.segments.slice(0, i).join('/')}) is a file`);
      if (kind === undefined) this.kinds.set(parent, 'implicit');
    }
    const key = EntryNames.key(plan.segments);
    const existing = this.kinds.get(key);
    if (existing === undefined || (existing === 'implicit' && plan.kind === 'directory')) {
      this.kinds.set(key, plan.kind);
      return;
    }
    throw unsafeEntry(plan.name, 'duplicate name (after normalising ./, // and letter case)');
  }
}
