/**
 * How the probe was started, as far as the probe itself can tell (Linux
 * /proc): its parents up to the host check, its process group, where its
 * stdin, stdout and stderr lead, and the environment it got.
 */
import { accessSync, constants, readFileSync, readlinkSync, statSync } from 'node:fs';

import { readProc } from '../../process/processes.js';
import type { Hello, ProcessInfo } from '../messages.js';

function link(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

function processInfo(pid: number): ProcessInfo {
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    // gone
  }
  return { pid, exe: link(`/proc/${pid}/exe`) ?? '', cmdline };
}

/** Parents of this process, nearest first, stopping before `stopAt` (the check) or init. */
function ancestors(stopAt: number): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  let pid = process.ppid;
  while (pid > 1 && pid !== stopAt && out.length < 16) {
    out.push(processInfo(pid));
    pid = readProc(pid)?.ppid ?? 0;
  }
  return out;
}

function socketDir(path: string | undefined): Hello['socketDir'] {
  if (path === undefined) return undefined;
  try {
    const info = statSync(path);
    let writable = true;
    try {
      accessSync(path, constants.W_OK);
    } catch {
      writable = false;
    }
    return { isDirectory: info.isDirectory(), mode: info.mode & 0o7777, writable };
  } catch {
    return { isDirectory: false, mode: 0, writable: false };
  }
}

export function gatherHello(run: string, checkerPid: number, argv: string[]): Hello {
  const self = readProc(process.pid);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return {
    type: 'hello',
    run,
    pid: process.pid,
    ppid: process.ppid,
    pgid: self?.pgrp ?? 0,
    startedAt: Date.now(),
    startTicks: self?.startTime ?? 0,
    argv,
    env,
    cwd: process.cwd(),
    fds: [0, 1, 2].map((fd) => link(`/proc/self/fd/${fd}`)),
    ancestors: ancestors(checkerPid),
    socketDir: socketDir(env.PLUGIN_UNIX_SOCKET_DIR),
  };
}
