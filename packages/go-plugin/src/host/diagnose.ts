/**
 * Notes about a plugin executable for "Unrecognized remote plugin message"
 * errors, in go-plugin's layout: path, mode, owner, group, architecture.
 * Best effort; never throws.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';

const ELF_MACHINES: Record<number, string> = {
  0x03: 'EM_386',
  0x28: 'EM_ARM',
  0x3e: 'EM_X86_64',
  0xb7: 'EM_AARCH64',
  0xf3: 'EM_RISCV',
};
const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  riscv64: 'riscv64',
};

function modeString(mode: number): string {
  const type = (mode & 0o170000) === 0o040000 ? 'd' : '-';
  const bits = 'rwxrwxrwx';
  let out = type;
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : '-';
  return out;
}

function elfMachine(path: string): string | undefined {
  try {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(20);
      readSync(fd, head, 0, 20, 0);
      if (head.readUInt32BE(0) !== 0x7f454c46) return undefined;
      const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
      return ELF_MACHINES[machine] ?? `0x${machine.toString(16)}`;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

export function executableNotes(path: string): string {
  try {
    const st = statSync(path);
    let me: { uid: number; gid: number; username: string } = { uid: -1, gid: -1, username: '?' };
    try {
      me = userInfo();
    } catch {
      // no passwd entry
    }
    let notes = '\nAdditional notes about plugin:\n';
    notes += `  Path: ${path}\n`;
    notes += `  Mode: ${modeString(st.mode)}\n`;
    notes += `  Owner: ${st.uid} (current: ${me.uid} [${me.username}])\n`;
    notes += `  Group: ${st.gid} (current: ${me.gid})\n`;
    const elf = elfMachine(path);
    if (elf)
      notes += `  ELF architecture: ${elf} (current architecture: ${GO_ARCH[process.arch] ?? process.arch})\n`;
    return notes;
  } catch {
    return '';
  }
}
