/**
 * Stopping, as go-plugin's Kill does it: end the broker stream, call
 * GRPCController.Shutdown (go-plugin gives it no deadline: it waits until
 * the call returns or the process exits), close the connection, wait 2 s for
 * the process to exit, else log "plugin failed to exit gracefully" and
 * SIGKILL the process it started (only that one, not its children).
 */
import { Status } from '@qplugin/go-plugin/protocol';
import { GRPCController, createClient, toRpcError } from '@qplugin/go-plugin/internal';

import { Point } from '../points.js';
import type { HostProfile } from '../presets.js';
import { describeExit, exitWithin } from '../process/spawn.js';
import type { ExitInfo, Spawned } from '../process/spawn.js';
import type { Channel } from './channel.js';

export const GRACE_MS = 2000;

export interface ShutdownOutcome {
  point: Point;
  exit: ExitInfo;
  /** It exited by itself after Shutdown (not killed by the check). */
  graceful: boolean;
}

const FIX_EXIT =
  'Implement plugin.GRPCController/Shutdown: answer (or just drop the connection), stop the gRPC server and exit the process within 2 s.';

/** What a go-plugin host does when a plugin does not stop: SIGKILL of the direct child. */
async function killLikeGoPlugin(proc: Spawned): Promise<ExitInfo> {
  proc.signal('SIGKILL');
  return (await exitWithin(proc, GRACE_MS)) ?? (proc.signalGroup('SIGKILL'), await proc.exited);
}

export async function checkShutdown(
  proc: Spawned,
  channel: Channel | undefined,
  profile: HostProfile,
): Promise<ShutdownOutcome> {
  const point = new Point('shutdown', 'GRPCController.Shutdown, exit within 2 s');
  const host = profile.host;
  const early = proc.exitInfo();
  if (!channel) {
    point.skip(
      early
        ? `no connection to call Shutdown on; it had exited (${describeExit(early)})`
        : `no connection to call Shutdown on (see the points above); killed it as ${host} would`,
    );
    return { point, exit: early ?? (await killLikeGoPlugin(proc)), graceful: false };
  }
  if (early) {
    point.fail(
      'LC-3',
      `the plugin had already exited (${describeExit(early)}) before Shutdown`,
      'Keep serving until the host calls Shutdown; read its stderr (--verbose) for the crash.',
    );
    return { point, exit: early, graceful: false };
  }
  channel.closeBroker();
  const started = Date.now();
  let answer: { code: Status; text: string };
  try {
    await createClient(GRPCController, channel.conn).shutdown({}, { deadline: GRACE_MS });
    answer = { code: Status.OK, text: 'answered OK' };
  } catch (err) {
    const rpc = toRpcError(err);
    answer = {
      code: rpc.code,
      text: rpc.code === Status.UNAVAILABLE ? 'dropped the connection' : `answered ${rpc.codeName}`,
    };
  }
  channel.close();
  const exit = await exitWithin(proc, GRACE_MS);
  const took = `${Date.now() - started} ms`;
  if (!exit) {
    const killed = await killLikeGoPlugin(proc);
    if (answer.code === Status.UNIMPLEMENTED) {
      point.fail(
        'SVC-2',
        `GRPCController is not implemented and the plugin kept running: ${host} waits 2 s, logs "plugin failed to exit gracefully" and SIGKILLs it`,
        FIX_EXIT,
      );
    } else if (answer.code === Status.DEADLINE_EXCEEDED) {
      point.fail(
        'LC-2',
        `Shutdown was neither answered nor the connection dropped, and the plugin kept running: ${host} (no deadline on Shutdown in go-plugin) would hang in Kill`,
        FIX_EXIT,
      );
    } else {
      point.fail(
        'LC-2',
        `Shutdown ${answer.text} but the plugin was still running 2 s later: ${host} logs "plugin failed to exit gracefully" and SIGKILLs it`,
        FIX_EXIT,
      );
    }
    return { point, exit: killed, graceful: false };
  }
  if (answer.code === Status.UNIMPLEMENTED) {
    point.warn(
      'SVC-2',
      `GRPCController is not implemented; the plugin exited anyway (${describeExit(exit)}) when the connection closed`,
      FIX_EXIT,
    );
  } else if (answer.code === Status.DEADLINE_EXCEEDED) {
    point.warn(
      'LC-2',
      `Shutdown was not answered within 2 s (${host} waits on it without a deadline until the process exits)`,
      FIX_EXIT,
    );
  }
  if (exit.code !== 0) {
    point.warn(
      'LC-2',
      `exited with ${describeExit(exit)} after Shutdown: go-plugin >= 1.4.4 hosts log that as an error`,
      'Exit with status 0 after a Shutdown.',
    );
  }
  if (point.status === 'pass')
    point.pass('LC-2', `Shutdown ${answer.text}; exited in ${took} (${describeExit(exit)})`);
  return { point, exit, graceful: true };
}
