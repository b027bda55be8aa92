/**
 * Point 1: started with everything geth sets except the magic cookie, a
 * plugin must say on stderr that it is a plugin, print nothing on stdout and
 * exit non-zero, like go-plugin's Serve (status 1, "This binary is a
 * plugin…"). The cookie is not a security feature; it keeps a plugin from
 * running, half-configured, when someone starts it by hand.
 */
import { Point, quote } from './points.js';
import { describeExit, exitWithin, sleep, spawnForCheck } from './spawn.js';
import type { SpawnInput } from './spawn.js';

/** How long a plugin started without the cookie may take to give up. */
export const COOKIE_WAIT_MS = 10_000;

const GO_PLUGIN_TEXT = 'This binary is a plugin';

const FIX_COOKIE =
  "Check the QUORUM_PLUGIN_MAGIC_COOKIE variable first thing: if it is not exactly the cookie value, print go-plugin's \"This binary is a plugin. These are not meant to be executed directly…\" text on stderr and exit 1 (the TS SDK's serve() and Go's plugin.Serve do this).";

export async function checkCookie(input: SpawnInput, waitMs: number): Promise<Point> {
  const point = new Point('cookie');
  const proc = await spawnForCheck(input);
  try {
    const deadline = Date.now() + waitMs;
    const first = proc.stdout.line(0, deadline);
    const outcome = await Promise.race([proc.exited.then(() => 'exited' as const), first]);
    if (outcome !== 'exited' && outcome !== 'eof' && outcome !== 'timeout') {
      await sleep(200); // let the rest of its output arrive, for the report
      const served = outcome.split('|').length >= 4;
      return point.fail(
        served
          ? `without the cookie it printed a handshake and served: ${quote(outcome)}`
          : `without the cookie it printed on stdout: ${quote(outcome)}`,
        FIX_COOKIE,
      );
    }
    const exit =
      outcome === 'timeout' ? await exitWithin(proc, 0) : await exitWithin(proc, deadline - Date.now());
    if (!exit) {
      return point.fail(
        `without the cookie it was still running after ${Math.round(waitMs / 1000)} s (killed)`,
        FIX_COOKIE,
      );
    }
    await Promise.race([proc.closed, sleep(1000)]);
    if (proc.stdout.bytes > 0) {
      point.fail(`without the cookie it printed on stdout: ${quote(proc.stdout.lines[0] ?? '')}`, FIX_COOKIE);
    }
    const stderr = proc.stderr.lines.filter((l) => l.trim() !== '');
    if (exit.code === 0) {
      point.warn(
        'without the cookie it exited with status 0',
        'Exit with status 1 when the cookie is missing, as go-plugin does, so scripts see the refusal.',
      );
    }
    if (stderr.length === 0) {
      point.warn(
        `without the cookie it exited (${describeExit(exit)}) but said nothing on stderr`,
        'Explain on stderr that this is a plugin to be started by geth, as go-plugin does.',
      );
    }
    if (point.status === 'pass') {
      point.pass(
        stderr.some((l) => l.includes(GO_PLUGIN_TEXT))
          ? `${describeExit(exit)}, go-plugin's explanation on stderr, nothing on stdout`
          : `${describeExit(exit)}, nothing on stdout; stderr: ${quote(stderr[0]!)}`,
      );
    }
    return point;
  } finally {
    // Whatever it left in its group goes too.
    proc.signalGroup('SIGKILL');
    await Promise.race([proc.exited, sleep(2000)]);
  }
}
