/**
 * Managed clients: killed together by killAllManaged(), and whenever the host
 * process ends with plugins still running:
 *
 * - normal exit (`process.exit`, empty event loop): SIGKILL of each plugin's
 *   process group and removal of its files, synchronously in 'exit';
 * - SIGINT, SIGTERM, SIGHUP that the application does not handle itself:
 *   graceful kill of every plugin, then the signal is raised again with its
 *   default disposition, so the process still ends by that signal (exit
 *   status 128+n for a shell). A second signal meanwhile skips the grace.
 *   If the application has its own listener for the signal, the signal is
 *   its business: it runs, nothing is killed and we do not exit; if the
 *   application then exits, 'exit' cleans up.
 *
 * Listeners are installed (first in line) only while something is managed. Directories
 * registered with removeAtExit() go in the same places, after the plugins.
 */
import { removeTree } from '../protocol/remove-tree.js';

export interface ManagedClient {
  kill(): Promise<unknown>;
  /** Synchronous last resort used from process 'exit'. */
  forceKillNow(): void;
  /** How long kill() may wait for a graceful exit. */
  readonly killGraceMs?: number;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Margin over the longest kill grace before a graceful stop after a signal is cut short (kill() is bounded anyway). */
const SIGNAL_STOP_MARGIN_MS = 10_000;

const managed = new Set<ManagedClient>();
const exitDirs = new Set<string>();
let exitHookInstalled = false;
let signalsInstalled = false;
let stopping = false;

/** Force-kills every managed client (newest first), then removes the registered directories. */
function cleanUpNow(): void {
  for (const c of [...managed].reverse()) {
    try {
      c.forceKillNow();
    } catch {
      // keep going: the others still need it
    }
  }
  for (const dir of exitDirs) removeTree(dir);
  exitDirs.clear();
}

function uninstallSignals(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  signalsInstalled = false;
}

function reraise(signal: NodeJS.Signals): void {
  cleanUpNow();
  uninstallSignals();
  process.kill(process.pid, signal);
  // Still here: the application took the signal over meanwhile; later signals start afresh.
  stopping = false;
  updateHooks();
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener: the application handles this signal and decides what happens.
  if (process.listenerCount(signal) > 1) return;
  if (stopping) return reraise(signal);
  stopping = true;
  const grace = Math.max(0, ...[...managed].map((c) => c.killGraceMs ?? 0));
  const limit = setTimeout(() => reraise(signal), grace + SIGNAL_STOP_MARGIN_MS);
  void Promise.allSettled([...managed].map((c) => c.kill())).then(() => {
    clearTimeout(limit);
    reraise(signal);
  });
}

function updateHooks(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', cleanUpNow);
  }
  const wanted = managed.size > 0 || exitDirs.size > 0;
  if (wanted && !signalsInstalled) {
    // First in line: an application's `once` listener is still registered when ours runs.
    for (const s of SIGNALS) process.prependListener(s, onSignal);
    signalsInstalled = true;
  } else if (!wanted && signalsInstalled && !stopping) {
    uninstallSignals();
  }
}

export function registerManaged(client: ManagedClient): void {
  managed.add(client);
  updateHooks();
}

export function unregisterManaged(client: ManagedClient): void {
  managed.delete(client);
  updateHooks();
}

/**
 * Removes `dir` (recursively, not following links) when the host process ends
 * as above, after the managed plugins are killed. Returns the undo.
 */
export function removeAtExit(dir: string): () => void {
  exitDirs.add(dir);
  updateHooks();
  return () => {
    exitDirs.delete(dir);
    updateHooks();
  };
}

/** Kills every managed client (gracefully, in parallel), like go-plugin's CleanupClients. */
export async function killAllManaged(): Promise<void> {
  await Promise.all([...managed].map((c) => c.kill()));
}
