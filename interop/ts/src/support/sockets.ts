/**
 * What a plugin's listener has accepted, seen from outside: Linux lists an
 * accepted unix socket in /proc/net/unix under its listener's path.
 */
import { readFileSync } from 'node:fs';

/** Flag of a listening socket in /proc/net/unix (__SO_ACCEPTCON). */
const LISTENING = 0x10000;

/** Open connections accepted on the unix socket at `path`; undefined off Linux. */
export function acceptedConnections(path: string): number | undefined {
  if (process.platform !== 'linux') return undefined;
  let n = 0;
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n')) {
    // Num RefCount Protocol Flags Type St Inode Path
    const f = line.trim().split(/\s+/);
    if (f[7] === path && (parseInt(f[3]!, 16) & LISTENING) === 0) n++;
  }
  return n;
}
