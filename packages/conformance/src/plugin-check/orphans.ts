/**
 * After the plugin exited, nothing of it may remain: go-plugin hosts kill
 * only the process they started (go-plugin issue #136), so a child left running
 * outlives every restart. Leftovers are the members of the plugin's process
 * group (the check starts it in its own) and any descendant seen before
 * Shutdown that still runs (also those that left the group). Its unix socket
 * file should be gone too.
 */
import { lstatSync } from 'node:fs';
import { basename } from 'node:path';
import { removeStaleSocket } from '@qplugin/go-plugin/internal';

import { Point, quote } from '../points.js';
import { groupMembers, killPid, procAvailable, stillAlive } from '../process/processes.js';
import type { ProcInfo } from '../process/processes.js';
import { sleep } from '../process/spawn.js';

export interface OrphanInput {
  pid: number;
  /** Descendants seen while the plugin was running. */
  family: readonly ProcInfo[];
  socket?: string;
  /** When the plugin was started: only a socket created since then is its own to remove. */
  startedAt: number;
  /** The plugin exited by itself (else the check killed it, and a leftover socket is not its fault). */
  graceful: boolean;
}

const SETTLE_MS = 1000;

/**
 * A command line as the report shows it: the program's file name without its
 * directory, so that a long install path (e.g. a Node.js under a tools
 * folder) does not push the arguments out of the quoted text.
 */
export function shortCommand(cmdline: string): string {
  const space = cmdline.indexOf(' ');
  return space < 0 ? basename(cmdline) : basename(cmdline.slice(0, space)) + cmdline.slice(space);
}

function leftovers(input: OrphanInput): ProcInfo[] {
  const found = new Map<number, ProcInfo>();
  for (const p of groupMembers(input.pid)) found.set(p.pid, p);
  for (const p of input.family) if (stillAlive(p)) found.set(p.pid, p);
  found.delete(input.pid);
  return [...found.values()];
}

export async function checkOrphans(input: OrphanInput): Promise<Point> {
  const point = new Point('orphans', 'no processes or socket left behind');
  if (procAvailable()) {
    // Children that watch their parent get a moment to notice it is gone.
    const until = Date.now() + SETTLE_MS;
    let left = leftovers(input);
    while (left.length > 0 && Date.now() < until) {
      await sleep(100);
      left = leftovers(input);
    }
    if (left.length > 0) {
      point.fail(
        'LC-6',
        `${left.length} process(es) left behind: ${left.map((p) => `${p.pid} ${quote(shortCommand(p.cmdline), 60)}`).join(', ')}`,
        "Stop every child process on shutdown (or exec the real plugin from a wrapper script, so the host's kill reaches it): go-plugin hosts kill only the process they started.",
      );
      for (const p of left) killPid(p.pid);
    } else {
      point.pass(
        'LC-6',
        `no process left${input.family.length > 0 ? ` (of ${input.family.length} child process(es))` : ''}`,
      );
    }
  }
  if (input.socket) {
    let isSocket = false;
    try {
      const info = lstatSync(input.socket);
      // A socket older than the plugin is someone else's (a wrong announcement): leave it alone.
      isSocket = info.isSocket() && info.ctimeMs >= input.startedAt - 1000;
    } catch {
      // gone, as it should be
    }
    if (isSocket) {
      if (input.graceful)
        point.warn(
          'LS-5',
          `socket file ${input.socket} left behind`,
          "Remove the unix socket file when the plugin stops (Go's listener does it on Close).",
        );
      removeStaleSocket(input.socket);
    } else if (input.graceful) {
      point.pass('LS-5', 'socket file removed');
    }
  }
  if (point.status === 'pass' && !procAvailable() && !input.socket)
    return point.skip('cannot list processes here (no /proc)');
  return point;
}
