/**
 * Managed clients: killed together by killAllManaged(), and force-killed if
 * the host process exits with plugins still running.
 */
export interface ManagedClient {
  kill(): Promise<unknown>;
  /** Synchronous last resort used from process 'exit'. */
  forceKillNow(): void;
}

const managed = new Set<ManagedClient>();
let exitHookInstalled = false;

export function registerManaged(client: ManagedClient): void {
  managed.add(client);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of managed) c.forceKillNow();
    });
  }
}

export function unregisterManaged(client: ManagedClient): void {
  managed.delete(client);
}

/** Kills every managed client (gracefully, in parallel), like go-plugin's CleanupClients. */
export async function killAllManaged(): Promise<void> {
  await Promise.all([...managed].map((c) => c.kill()));
}
