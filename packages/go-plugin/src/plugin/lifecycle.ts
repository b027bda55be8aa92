/**
 * Signals and the host watchdogs. Like Go plugins, ignore SIGINT (a terminal
 * Ctrl-C reaches host and plugin alike; the host drives shutdown). Unlike
 * them, treat SIGTERM as a graceful stop, and stop when the host is gone so
 * no plugin outlives a crashed host: when the parent process changes, and —
 * for plugins started through a shell or another launcher, whose parent says
 * nothing about the host — when no host connection has been open for a while.
 */
import type { Logger } from '../protocol/logger.js';

export interface WatchOptions {
  logger: Logger;
  stop: (reason: string) => Promise<void>;
  /** Parent-pid poll interval; 0 disables that watchdog. */
  pollMs: number;
  /** The server whose host connections are watched. */
  server?: { connections: number; watchConnections(fn: (count: number) => void): () => void };
  /** Stop after this long without a host connection; 0 disables. */
  connectionGraceMs?: number;
}

/** Installs the handlers; returns the function that removes them. */
export function watchHost({ logger, stop, pollMs, server, connectionGraceMs = 0 }: WatchOptions): () => void {
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    logger.trace('plugin received interrupt signal, ignoring', { count: interrupts });
  };
  const onSigterm = (): void => {
    logger.debug('plugin received SIGTERM, stopping');
    void stop('SIGTERM');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);

  let timer: NodeJS.Timeout | undefined;
  const parent = process.ppid;
  // Started by init or a subreaper already: nothing meaningful to watch.
  if (pollMs > 0 && parent > 1) {
    timer = setInterval(() => {
      if (process.ppid !== parent) {
        logger.warn('host process exited; stopping plugin', { hostPid: parent });
        void stop('host exited');
      }
    }, pollMs);
    timer.unref();
  }

  let alone: NodeJS.Timeout | undefined;
  let unwatchConnections = (): void => {};
  if (server && connectionGraceMs > 0) {
    const arm = (): void => {
      alone ??= setTimeout(() => {
        logger.warn('no host connection; stopping plugin', { graceMs: connectionGraceMs });
        void stop('host connection gone');
      }, connectionGraceMs);
      alone.unref();
    };
    const disarm = (): void => {
      if (alone) clearTimeout(alone);
      alone = undefined;
    };
    unwatchConnections = server.watchConnections((count) => (count === 0 ? arm() : disarm()));
    if (server.connections === 0) arm();
  }

  return () => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    if (timer) clearInterval(timer);
    if (alone) clearTimeout(alone);
    unwatchConnections();
  };
}
