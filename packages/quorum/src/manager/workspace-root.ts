/**
 * The manager's own directory for the workspaces it unpacks plugins into,
 * `<workspaceRoot>/qplugin-host-XXXXXX/`, marked as owned by this process.
 * Made when the first workspace is needed (after reaping what dead hosts
 * left in `<workspaceRoot>`) and removed with the last one; also removed when
 * the host process ends (exit, or a signal it dies of) and, if the host is
 * killed outright, by the next host that starts.
 */
import { rm } from 'node:fs/promises';

import { makeOwnedDir, reapLeftoversOnce, removeAtExit } from '@qplugin/go-plugin/internal';
import type { Logger } from '@qplugin/go-plugin/protocol';

export class WorkspaceRoot {
  private dir: string | undefined;
  private users = 0;
  private undoRemoveAtExit: (() => void) | undefined;

  constructor(
    private readonly parent: string,
    private readonly logger: Logger,
  ) {}

  /** The directory to unpack the next workspace in; pair with release(). */
  acquire(): string {
    this.users++;
    if (this.dir === undefined) {
      const reaped = reapLeftoversOnce(this.parent);
      if (reaped && (reaped.removed.length > 0 || reaped.killed.length > 0))
        this.logger.info('removed what hosts that are gone left behind', { ...reaped });
      this.dir = makeOwnedDir(this.parent);
      this.undoRemoveAtExit = removeAtExit(this.dir);
    }
    return this.dir;
  }

  /** One workspace fewer; the last one removes the directory. */
  async release(): Promise<void> {
    if (--this.users > 0) return;
    const dir = this.dir;
    this.dir = undefined;
    this.undoRemoveAtExit?.();
    this.undoRemoveAtExit = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
