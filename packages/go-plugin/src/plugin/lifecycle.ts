/**
 * Signals and the host watchdog. Like Go plugins, ignore SIGINT (a terminal
 * Ctrl-C reaches host and plugin alike; the host drives shutdown). Unlike
 * them, treat SIGTERM as a graceful stop, and stop when the host process is
 * gone so no plugin outlives a crashed host.
 */
import type { Logger } from '../protocol/logger.js';

export interface WatchOptions {
  logger: Logger;
  stop: (reason: string) => Promise<void>;
  /** Parent-pid poll interval; 0 disables the watchdog. */
  pollMs: number;
}

/** Installs the handlers; returns the function that removes them. */
export function watchHost({ logger, stop, pollMs }: WatchOptions): () => void {
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

  return () => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    if (timer) clearInterval(timer);
  };
}
