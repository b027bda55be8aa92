/**
 * Reattaching to a running plugin: the pid must exist and something must
 * accept connections at the address, else "reattachment process not found".
 * Unlike go-plugin <= 1.6.1 we never kill the pid when the probe fails (it
 * may have been reused by an unrelated process).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { dirname } from 'node:path';

import { GoPluginError } from '../protocol/errors.js';
import { splitTcpAddress } from '../protocol/handshake.js';
import type { ReattachConfig } from './options.js';
import { markOwner, OWNER_MARK_PREFIX } from './ownership.js';
import { pidRunning } from './proc.js';

const notFound = (why: string, config: ReattachConfig): GoPluginError =>
  new GoPluginError('REATTACH_NOT_FOUND', 'reattachment process not found', {
    fix: `${why}. The plugin has probably exited; start it again.`,
    details: { pid: config.pid, address: config.addr.address },
  });

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function probeReattach(config: ReattachConfig): Promise<void> {
  if (config.pid > 0 && !pidAlive(config.pid)) throw notFound(`no process has pid ${config.pid}`, config);
  await new Promise<void>((resolve, reject) => {
    const socket =
      config.addr.network === 'unix'
        ? netConnect({ path: config.addr.address })
        : netConnect(splitTcpAddress(config.addr.address));
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) =>
      reject(notFound(`nothing accepts connections at ${config.addr.address} (${err.message})`, config)),
    );
  });
}

/** Polls the pid every second, as go-plugin does; calls `gone` once it has exited. */
export function watchPid(pid: number, gone: () => void): () => void {
  const timer = setInterval(() => {
    if (!pidAlive(pid)) {
      clearInterval(timer);
      gone();
    }
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Waits until `pid` has gone, polling with a timer that holds the event loop
 * (an awaited kill() must not let Node exit under it); false on timeout.
 */
export function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = (): void => {
      if (!pidRunning(pid)) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setTimeout(check, 20);
    };
    check();
  });
}

/**
 * A reattached plugin whose socket directory a host marked: mark it as ours
 * too, so that no other host reaps the plugin we use if its first host dies.
 * Returns the mark to remove when done; undefined when there is nothing to mark.
 */
export function coOwn(config: ReattachConfig): string | undefined {
  if (config.addr.network !== 'unix') return undefined;
  const dir = dirname(config.addr.address);
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) return undefined;
    if (!readdirSync(dir).some((n) => n.startsWith(OWNER_MARK_PREFIX))) return undefined;
    return markOwner(dir);
  } catch {
    return undefined;
  }
}
