/**
 * Which go-plugin a Go executable was built with, read from the module list
 * the Go linker embeds (what `go version -m` prints). Lets both checks give
 * version-specific advice ("upgrade go-plugin to >= 1.1 for GRPCStdio")
 * without running anything.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { accessSync, constants, statSync } from 'node:fs';

export const GO_PLUGIN_MODULE = 'github.com/hashicorp/go-plugin';
export const GRPC_MODULE = 'google.golang.org/grpc';

export interface GoBuildInfo {
  /** Module versions by path, e.g. github.com/hashicorp/go-plugin → v1.2.2. */
  modules: Map<string, string>;
}

const CHUNK = 1024 * 1024;
const OVERLAP = 512;
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const MACHO = [0xfeedfacf, 0xcffaedfe, 0xfeedface, 0xcefaedfe];
/** Largest file looked at (Go binaries are tens of MiB). */
const MAX_BYTES = 512 * 1024 * 1024;

/** `command` as exec would find it: a path, or the first match on PATH. */
export function resolveCommand(
  command: string,
  cwd = process.cwd(),
  path = process.env.PATH ?? '',
): string | undefined {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(cwd, command)]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, command));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) {
        accessSync(c, constants.X_OK);
        return c;
      }
    } catch {
      // next
    }
  }
  return undefined;
}

const DEP_LINE = /\ndep\t([^\t\n]+)\t(v[^\t\n]+)/g;

/**
 * Where an ELF64 file keeps its `.go.buildinfo` section ([offset, size]);
 * undefined when it has none (not a Go program). Go (>= 1.18) stores the
 * module list inline in that section.
 */
async function elfBuildInfoSection(handle: FileHandle): Promise<[number, number] | undefined> {
  const header = Buffer.alloc(64);
  await handle.read(header, 0, 64, 0);
  if (header[4] !== 2 || header[5] !== 1) return undefined; // ELF64 little-endian only
  const shoff = Number(header.readBigUInt64LE(0x28));
  const shentsize = header.readUInt16LE(0x3a);
  const shnum = header.readUInt16LE(0x3c);
  const shstrndx = header.readUInt16LE(0x3e);
  if (shnum === 0 || shentsize < 64 || shnum > 4096) return undefined;
  const table = Buffer.alloc(shentsize * shnum);
  await handle.read(table, 0, table.length, shoff);
  const section = (i: number): { name: number; offset: number; size: number } => ({
    name: table.readUInt32LE(i * shentsize),
    offset: Number(table.readBigUInt64LE(i * shentsize + 0x18)),
    size: Number(table.readBigUInt64LE(i * shentsize + 0x20)),
  });
  const strtab = section(shstrndx);
  const names = Buffer.alloc(Math.min(strtab.size, 1 << 20));
  await handle.read(names, 0, names.length, strtab.offset);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const end = names.indexOf(0, s.name);
    if (names.toString('latin1', s.name, end) === '.go.buildinfo') return [s.offset, s.size];
  }
  return undefined;
}

/** Module versions from the build info of a Go executable; undefined for anything else. */
export async function readGoBuildInfo(file: string): Promise<GoBuildInfo | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    const modules = new Map<string, string>();
    if (head.equals(ELF)) {
      const where = await elfBuildInfoSection(handle);
      if (!where) return undefined;
      const bytes = Buffer.alloc(Math.min(where[1], CHUNK));
      await handle.read(bytes, 0, bytes.length, where[0]);
      for (const m of bytes.toString('latin1').matchAll(DEP_LINE)) modules.set(m[1]!, m[2]!);
    } else if (MACHO.includes(head.readUInt32BE(0))) {
      // No section walk for Mach-O: scan the file.
      const size = Math.min((await handle.stat()).size, MAX_BYTES);
      const buf = Buffer.alloc(CHUNK + OVERLAP);
      let carry = '';
      for (let pos = 0; pos < size; pos += CHUNK) {
        const { bytesRead } = await handle.read(buf, 0, Math.min(CHUNK, size - pos), pos);
        const text = carry + buf.toString('latin1', 0, bytesRead);
        for (const m of text.matchAll(DEP_LINE)) modules.set(m[1]!, m[2]!);
        carry = text.slice(-OVERLAP);
      }
    } else {
      return undefined;
    }
    return modules.size > 0 ? { modules } : undefined;
  } finally {
    await handle.close();
  }
}

/** `v1.2.2` → [1, 2, 2]; pseudo-versions and suffixes are cut off. */
export function semver(version: string): [number, number, number] | undefined {
  const m = /^v(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether `version` is older than `than` (both `vX.Y.Z`); false when unknown. */
export function olderThan(version: string | undefined, than: string): boolean {
  const a = version ? semver(version) : undefined;
  const b = semver(than);
  if (!a || !b) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
