/** Small text helpers shared by the distribution commands (pack, keygen, sign, verify, inspect). */
import { readFile } from 'node:fs/promises';

import { QuorumError } from '@qplugin/quorum/core/internal';
import { messageOf } from '@qplugin/go-plugin/core/internal';

/** `label  value` lines with the labels padded to one column. */
export function rows(pairs: ReadonlyArray<readonly [string, string]>, indent = ''): string {
  const width = Math.max(...pairs.map(([k]) => k.length), 0) + 2;
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)}${v}`).join('\n');
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** `-rwxr-xr-x` for a Unix mode (type bits give the first character). */
export function modeString(mode: number): string {
  const type = mode & 0o170000;
  const first =
    type === 0o040000 ? 'd' : type === 0o120000 ? 'l' : type === 0o100000 || type === 0 ? '-' : '?';
  let perms = '';
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (mode >> shift) & 7;
    perms += `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
  }
  return first + perms;
}

/**
 * A passphrase from a file: its first line, like `gpg --passphrase-file`,
 * so a file written by `echo` (trailing newline) gives the intended value.
 */
export async function readPassphraseFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new QuorumError('VERIFY_MATERIAL', `cannot read passphrase file ${path}: ${messageOf(cause)}`, {
      details: { path },
      cause,
    });
  }
  const passphrase = text.split(/\r?\n/, 1)[0] ?? '';
  if (passphrase === '') {
    throw new QuorumError('VERIFY_MATERIAL', `passphrase file ${path} is empty`, {
      fix: 'Write the passphrase on the first line of the file.',
      details: { path },
    });
  }
  return passphrase;
}

/** Repeated and comma-separated option values (`--x a,b --x c`) as one list. */
export function commaList(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}
