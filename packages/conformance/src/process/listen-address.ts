/**
 * Where a TCP plugin really listens (Linux): the handshake may say
 * 127.0.0.1:PORT while the socket is bound to 0.0.0.0:PORT, as Quorum's Java
 * hello world does. Socket inodes of the plugin's processes are matched with
 * the LISTEN rows of /proc/net/tcp and tcp6.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';

export interface Listener {
  /** Local address as text, e.g. `0.0.0.0` or `::1`. */
  host: string;
  port: number;
}

const LISTEN_STATE = '0A';

function socketInodes(pids: readonly number[]): Set<string> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  return inodes;
}

/** /proc/net prints each 32-bit word in host byte order. */
function wordBytes(hex: string): number[] {
  const bytes = hex.match(/../g)!.map((b) => parseInt(b, 16));
  return endianness() === 'LE' ? bytes.reverse() : bytes;
}

function decodeHost(hex: string): string {
  if (hex.length === 8) return wordBytes(hex).join('.');
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap(wordBytes);
  // IPv4-mapped (::ffff:a.b.c.d)
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::')
    .replace(/:{3,}/, '::');
}

/** TCP sockets in LISTEN state held by any of `pids`; empty when /proc cannot tell. */
export function tcpListeners(pids: readonly number[]): Listener[] {
  const inodes = socketInodes(pids);
  if (inodes.size === 0) return [];
  const out: Listener[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== LISTEN_STATE || !inodes.has(cols[9]!)) continue;
      const [hostHex, portHex] = cols[1]!.split(':') as [string, string];
      out.push({ host: decodeHost(hostHex), port: parseInt(portHex, 16) });
    }
  }
  return out;
}

export type HostKind = 'loopback' | 'unspecified' | 'wildcard' | 'other';

/** How far a host address reaches. */
export function hostKind(rawHost: string): HostKind {
  const host = rawHost.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === '') return 'unspecified';
  if (host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1') return 'loopback';
  if (host === '0.0.0.0' || host === '::' || host === '0:0:0:0:0:0:0:0') return 'wildcard';
  return 'other';
}
