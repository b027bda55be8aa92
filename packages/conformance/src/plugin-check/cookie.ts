/**
 * Started with everything the host sets except the magic cookie, a plugin
 * must print nothing on stdout, say on stderr that it is a plugin and exit
 * non-zero, like go-plugin's Serve (status 1, "This binary is a plugin…").
 * The cookie is not a security feature; it keeps a plugin from running,
 * half-configured, when someone starts it by hand.
 */
import { Point, quote } from '../points.js';
import type { HostProfile } from '../presets.js';
import { describeExit, exitWithin, sleep, spawnForCheck } from '../process/spawn.js';
import type { SpawnInput } from '../process/spawn.js';

/** How long a plugin started without the cookie may take to give up. */
export const COOKIE_WAIT_MS = 10_000;

const GO_PLUGIN_TEXT = 'This binary is a plugin';

export async function checkCookie(input: SpawnInput, profile: HostProfile, waitMs: number): Promise<Point> {
  const point = new Point('cookie', 'refuses to run without the magic cookie');
  const fixCookie = `Check the ${profile.cookie.key} variable first thing: if it is not exactly the cookie value, print go-plugin's "This binary is a plugin. These are not meant to be executed directly…" text on stderr and exit 1 (the TS SDK's serve() and Go's plugin.Serve do this).`;
  const proc = await spawnForCheck(input);
  try {
    const deadline = Date.now() + waitMs;
    const first = proc.stdout.line(0, deadline);
    const outcome = await Promise.race([proc.exited.then(() => 'exited' as const), first]);
    if (outcome !== 'exited' && outcome !== 'eof' && outcome !== 'timeout') {
      await sleep(200); // let the rest of its output arrive, for the report
      const served = outcome.split('|').length >= 4;
      return point.fail(
        'CK-1',
        served
          ? `without the cookie it printed a handshake and served: ${quote(outcome)}`
          : `without the cookie it printed on stdout: ${quote(outcome)}`,
        fixCookie,
      );
    }
    const exit =
      outcome === 'timeout' ? await exitWithin(proc, 0) : await exitWithin(proc, deadline - Date.now());
    if (!exit) {
      return point.fail(
        'CK-1',
        `without the cookie it was still running after ${Math.round(waitMs / 1000)} s (killed)`,
        fixCookie,
      );
    }
    await Promise.race([proc.closed, sleep(1000)]);
    if (proc.stdout.bytes > 0) {
      point.fail(
        'CK-1',
        `without the cookie it printed on stdout: ${quote(proc.stdout.lines[0] ?? '')}`,
        fixCookie,
      );
    }
    const stderr = proc.stderr.lines.filter((l) => l.trim() !== '');
    if (exit.code === 0) {
      point.warn(
        'CK-2',
        'without the cookie it exited with status 0',
        'Exit with status 1 when the cookie is missing, as go-plugin does, so scripts see the refusal.',
      );
    }
    if (stderr.length === 0) {
      point.warn(
        'CK-2',
        `without the cookie it exited (${describeExit(exit)}) but said nothing on stderr`,
        `Explain on stderr that this is a plugin to be started by ${profile.host}, as go-plugin does.`,
      );
    }
    if (point.status === 'pass') {
      point.pass(
        'CK-1',
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
