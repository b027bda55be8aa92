/**
 * Go's GOOS/GOARCH for the running machine. Distribution file names and
 * Plugin Central paths use Go's names (`linux-amd64`), never Node's
 * (`linux-x64`).
 */
import { endianness } from 'node:os';

import type { Platform } from './types.js';

const GOOS: Readonly<Record<string, string>> = {
  aix: 'aix',
  android: 'android',
  darwin: 'darwin',
  freebsd: 'freebsd',
  linux: 'linux',
  netbsd: 'netbsd',
  openbsd: 'openbsd',
  // Node reports illumos as sunos too; Go's `solaris` is the closer default.
  sunos: 'solaris',
  win32: 'windows',
  cygwin: 'windows',
};

/** Architectures whose Go name depends on byte order. */
const BY_ENDIANNESS: Readonly<Record<string, { BE: string; LE: string }>> = {
  // Node says ppc64 for both; Linux on POWER is little-endian (Go's ppc64le).
  ppc64: { BE: 'ppc64', LE: 'ppc64le' },
  mips64: { BE: 'mips64', LE: 'mips64le' },
};

const GOARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  x32: '386',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
  mips64el: 'mips64le',
  riscv64: 'riscv64',
  s390x: 's390x',
  wasm32: 'wasm',
};

/**
 * Maps Node's `process.platform`/`process.arch` to Go's GOOS/GOARCH. A name
 * Go does not share (e.g. `haiku`, `ppc`, `s390`) is returned unchanged: no
 * distribution is published for it, and the missing file then names it.
 */
export function goPlatform(
  platform: string = process.platform,
  arch: string = process.arch,
  byteOrder: 'BE' | 'LE' = endianness(),
): Platform {
  const split = BY_ENDIANNESS[arch];
  return {
    os: GOOS[platform] ?? platform,
    arch: split !== undefined ? split[byteOrder] : (GOARCH[arch] ?? arch),
  };
}
