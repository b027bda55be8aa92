/**
 * Issue 12, parts 3 and 6, with real host processes: managed plugins on
 * SIGINT/SIGTERM/SIGHUP and on exit; what a host killed with SIGKILL leaves
 * and how the next host reaps it (only a dead host's, never a stranger's,
 * never through a symlink); reattached clients' kill() and disconnect(); pid
 * and exit status of a failed start. The TS plugin runs with its parent
 * watchdog off, so it outlives its host the way a Go plugin does.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { PluginClient } from '../src/host/client.js';
import { markOf, RUN_TOKEN_ENV } from '../src/host/ownership.js';
import { reapLeftovers } from '../src/host/reap.js';
import { GoPluginError } from '../src/protocol/errors.js';
import { createLogger } from '../src/protocol/logger.js';
import { RpcError, Status } from '../src/protocol/rpc-error.js';
import { expectNoProcesses, isAlive, waitUntil } from '../src/testing/process.js';
import { spawnHost } from '../src/testing/spawn-host.js';
import type { HostConfig } from '../src/testing/spawn-host.js';
import { Scratch } from './support/scratch.js';

const scratch = new Scratch('qp-lifecycle-');
/** Extra argv marking this file's plugin processes (test files run in parallel). */
const TOKEN = `--qp-test=${randomUUID()}`;
const MINIMAL = fileURLToPath(new URL('./fixtures/minimal-plugin.js', import.meta.url));
const REATTACH_KILL = fileURLToPath(new URL('./fixtures/reattach-kill.js', import.meta.url));
const handshake = { protocolVersion: 1, magicCookieKey: 'FIXTURE_COOKIE', magicCookieValue: 'fixture' };

/** A host of the minimal plugin; its socket directory goes in `socketParent`. */
function hostConfig(socketParent: string, extra: Partial<HostConfig> = {}): HostConfig {
  return {
    command: process.execPath,
    args: [MINIMAL, TOKEN],
    handshake,
    managed: true,
    socketParent,
    ...extra,
    env: { FIXTURE_NO_WATCHDOG: '1', ...extra.env },
  };
}

const socketDirs = (parent: string): string[] =>
  readdirSync(parent).filter((n) => n.startsWith('plugin-dir'));

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('managed plugins when the host gets a signal or exits', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} the application does not handle: the plugin is shut down gracefully, then the host ends by ${signal}`, async () => {
      const parent = scratch.sub(signal);
      const host = await spawnHost(hostConfig(parent));
      assert.equal(socketDirs(parent).length, 1);
      host.child.kill(signal);
      assert.deepEqual(await host.ended, { code: null, signal }, host.lines.join('\n'));
      assert.ok(!isAlive(host.pluginPid), 'the plugin is gone before the host');
      assert.ok(
        host.lines.includes('log plugin process exited {"code":0,"signal":null}'),
        `a graceful exit:\n${host.lines.join('\n')}`,
      );
      assert.deepEqual(readdirSync(parent), [], 'socket directory removed');
      await expectNoProcesses(TOKEN);
    });
  }

  it('a signal the application handles is its business: nothing is killed, the host goes on and can stop its plugins itself', async () => {
    const parent = scratch.sub('handled');
    // The application's listener is a `once` registered before the client, as in `qplugin run`.
    const host = await spawnHost(hostConfig(parent, { handle: ['SIGTERM'] }));
    host.child.kill('SIGTERM');
    await host.waitForLine(/^handled SIGTERM$/);
    assert.ok(isAlive(host.child.pid!) && isAlive(host.pluginPid));
    // Had our listener killed the plugin, it would re-raise SIGTERM as soon as that kill is done:
    // the host would end before (or right after) printing `killed`, never by `exit`.
    host.send('kill');
    assert.equal(await host.waitForLine(/^killed /), 'killed {"code":0,"signal":null}');
    host.send('exit');
    assert.deepEqual(await host.ended, { code: 0, signal: null }, host.lines.join('\n'));
    assert.deepEqual(readdirSync(parent), []);
    await expectNoProcesses(TOKEN);
  });

  it('process.exit() with a managed plugin running: SIGKILL and its socket directory removed', async () => {
    const parent = scratch.sub('exit');
    const host = await spawnHost(hostConfig(parent));
    assert.equal(socketDirs(parent).length, 1);
    host.send('exit');
    assert.deepEqual(await host.ended, { code: 0, signal: null });
    await waitUntil(() => !isAlive(host.pluginPid), 5000, 'the plugin to be killed at exit');
    assert.deepEqual(readdirSync(parent), [], 'force-kill at exit removed the socket directory too');
    await expectNoProcesses(TOKEN);
  });

  it('a second signal cuts the graceful stop short', async () => {
    const parent = scratch.sub('twice');
    // The plugin ignores Shutdown and the grace is ten minutes: only the second signal ends this.
    const host = await spawnHost(
      hostConfig(parent, { env: { FIXTURE_IGNORE_SHUTDOWN: '1' }, killGraceMs: 600_000 }),
    );
    host.child.kill('SIGTERM');
    await host.waitForLine(/plugin shutting down/);
    assert.ok(isAlive(host.pluginPid));
    host.child.kill('SIGTERM');
    assert.deepEqual(await within(host.ended, 60_000, 'the host to end'), { code: null, signal: 'SIGTERM' });
    await waitUntil(() => !isAlive(host.pluginPid), 5000, 'the plugin to be killed');
    assert.deepEqual(readdirSync(parent), []);
    await expectNoProcesses(TOKEN);
  });
});

describe('what a host killed with SIGKILL leaves behind, and the next host', () => {
  it('the plugin and its child keep running; reaping kills both and removes the directory', async () => {
    const parent = scratch.sub('crashed');
    const host = await spawnHost(hostConfig(parent, { env: { FIXTURE_CHILD: '1' } }));
    const childPid = Number(/"childPid":(\d+)/.exec(await host.waitForLine(/child started/))![1]);
    host.child.kill('SIGKILL');
    await host.ended;
    assert.ok(isAlive(host.pluginPid) && isAlive(childPid), 'orphans: nobody killed them');
    const [dir] = socketDirs(parent);

    const result = reapLeftovers(parent);
    assert.deepEqual(result.removed, [join(parent, dir!)]);
    assert.deepEqual([...result.killed].sort(), [host.pluginPid, childPid].sort());
    await waitUntil(() => !isAlive(host.pluginPid) && !isAlive(childPid), 5000, 'the orphans to die');
    assert.deepEqual(readdirSync(parent), []);
    assert.deepEqual(reapLeftovers(parent), { removed: [], killed: [] }, 'nothing left to reap');
    await expectNoProcesses(TOKEN);
  });

  it('a PluginClient reaps its socket parent before its first start there', async () => {
    const parent = scratch.sub('next-host');
    const host = await spawnHost(hostConfig(parent));
    host.child.kill('SIGKILL');
    await host.ended;
    const [leftover] = socketDirs(parent);
    const records: string[] = [];
    const next = new PluginClient({
      command: process.execPath,
      args: [MINIMAL, TOKEN],
      handshake,
      unixSocket: { dir: parent },
      logger: createLogger((_l, message, _m, fields) => records.push(`${message} ${JSON.stringify(fields)}`)),
    });
    await next.start();
    await waitUntil(() => !isAlive(host.pluginPid), 5000, 'the orphan to die');
    assert.ok(!socketDirs(parent).includes(leftover!), 'the dead host’s directory is gone');
    assert.equal(socketDirs(parent).length, 1, 'ours is there');
    assert.ok(
      records.some(
        (r) => r.startsWith('removed what hosts that are gone left behind') && r.includes(leftover!),
      ),
      records.join('\n'),
    );
    await next.kill();
    assert.deepEqual(readdirSync(parent), []);
    await expectNoProcesses(TOKEN);
  });

  it('leaves alone what is not provably a dead host’s: live hosts, unmarked directories, symlinks, marks it cannot read', async () => {
    const parent = scratch.sub('mixed');
    const live = await spawnHost(hostConfig(parent));
    const [liveDir] = socketDirs(parent);
    // Owner marks as we write them: one for a process that has exited, one whose pid is alive but
    // started at another time (pid reuse).
    const gonePid = spawnSync('true').pid!;
    const reusedPid = { ...markOf(process.pid), start: '1' };
    const mark = (dir: string, owner: object): void => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '.qplugin-owner-1-00000000'), JSON.stringify(owner), { mode: 0o600 });
    };
    mark(join(parent, 'plugin-dirGONE01'), { ...markOf(process.pid), pid: gonePid, start: '1' });
    mark(join(parent, 'qplugin-host-REUSED'), reusedPid);
    mkdirSync(join(parent, 'plugin-dirUNMARKED')); // e.g. a Go host's
    const target = scratch.sub('link-target');
    mark(target, reusedPid);
    symlinkSync(target, join(parent, 'plugin-dirLINK'));
    const linkedMark = join(parent, 'plugin-dirLINKEDMARK');
    mkdirSync(linkedMark);
    symlinkSync(join(target, '.qplugin-owner-1-00000000'), join(linkedMark, '.qplugin-owner-1-00000000'));
    const corrupt = join(parent, 'plugin-dirCORRUPT');
    mkdirSync(corrupt);
    writeFileSync(join(corrupt, '.qplugin-owner-1-00000000'), 'not json', { mode: 0o600 });

    const result = reapLeftovers(parent);
    assert.deepEqual(result.removed.sort(), [
      join(parent, 'plugin-dirGONE01'),
      join(parent, 'qplugin-host-REUSED'),
    ]);
    assert.deepEqual(result.killed, []);
    assert.deepEqual(
      readdirSync(parent).sort(),
      [liveDir!, 'plugin-dirCORRUPT', 'plugin-dirLINK', 'plugin-dirLINKEDMARK', 'plugin-dirUNMARKED'].sort(),
    );
    assert.deepEqual(readdirSync(target), ['.qplugin-owner-1-00000000'], 'nothing followed the link');
    assert.ok(isAlive(live.pluginPid));
    live.send('kill');
    await live.waitForLine(/^killed /);
    live.send('exit');
    await live.ended;
    await expectNoProcesses(TOKEN);
  });

  it('never kills a process it cannot prove is the dead host’s plugin', async () => {
    const parent = scratch.sub('strangers');
    const token = 'ab'.repeat(16);
    const otherToken = 'cd'.repeat(16);
    const sleeper = (env: NodeJS.ProcessEnv): ChildProcess =>
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', TOKEN], {
        stdio: 'ignore',
        env: { ...process.env, ...env },
      });
    // Right pid and start time, but not started with the token: a stranger.
    const noToken = sleeper({});
    // Has the token, but the record says it started at another time: a reused pid.
    const wrongStart = sleeper({ [RUN_TOKEN_ENV]: token });
    const execd = (pid: number): boolean => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(TOKEN);
      } catch {
        return false;
      }
    };
    await waitUntil(() => execd(noToken.pid!) && execd(wrongStart.pid!), 10_000, 'the strangers to run');
    const deadOwner = { ...markOf(process.pid), start: '1' };
    const forge = (name: string, record: object): void => {
      const dir = join(parent, name);
      mkdirSync(dir);
      writeFileSync(join(dir, '.qplugin-owner-1-00000000'), JSON.stringify(deadOwner), { mode: 0o600 });
      writeFileSync(join(dir, '.qplugin-plugin'), JSON.stringify(record), { mode: 0o600 });
    };
    forge('plugin-dirSTRANGER', { ...markOf(noToken.pid!), token: otherToken });
    forge('plugin-dirREUSED', { ...markOf(wrongStart.pid!), start: '1', token });

    const result = reapLeftovers(parent);
    assert.deepEqual(result.killed, []);
    assert.equal(result.removed.length, 2, 'the dead host’s directories go all the same');
    assert.ok(isAlive(noToken.pid!) && isAlive(wrongStart.pid!), 'both strangers live');
    noToken.kill('SIGKILL');
    wrongStart.kill('SIGKILL');
    await expectNoProcesses(TOKEN);
  });

  it('a plugin another live host reattached to is not reaped when its first host dies', async () => {
    const parent = scratch.sub('co-owned');
    const host = await spawnHost(hostConfig(parent));
    const second = new PluginClient({ handshake, reattach: host.reattach });
    await second.start();
    host.child.kill('SIGKILL');
    await host.ended;

    assert.deepEqual(reapLeftovers(parent), { removed: [], killed: [] });
    await second.ping();
    second.disconnect();
    const result = reapLeftovers(parent);
    assert.deepEqual(result.killed, [host.pluginPid], 'once nobody uses it, it is an orphan');
    assert.equal(result.removed.length, 1);
    await waitUntil(() => !isAlive(host.pluginPid), 5000, 'the orphan to die');
    await expectNoProcesses(TOKEN);
  });
});

describe('reattached clients', () => {
  it('await kill() ends with the plugin and holds the event loop meanwhile (no exit code 13)', async () => {
    const parent = scratch.sub('reattach-kill');
    const host = await spawnHost(hostConfig(parent));
    const { tls, ...rest } = host.reattach;
    const config = {
      ...rest,
      tls: tls && { ...tls, pluginCertDer: Buffer.from(tls.pluginCertDer).toString('base64') },
    };
    const child = spawn(process.execPath, [REATTACH_KILL, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, out);
    assert.equal(out, '{"code":null,"signal":null}\n');
    assert.ok(!isAlive(host.pluginPid), 'the plugin exited on Shutdown');
    await host.waitForLine(/^log plugin process exited \{"code":0/);
    host.send('exit');
    await host.ended;
    assert.deepEqual(readdirSync(parent), []);
    await expectNoProcesses(TOKEN);
  });

  function ownerAndRecorder(env: Record<string, string> = {}): {
    owner: PluginClient;
    records: string[];
    logger: ReturnType<typeof createLogger>;
  } {
    const records: string[] = [];
    return {
      owner: new PluginClient({
        command: process.execPath,
        args: [MINIMAL, TOKEN],
        env,
        handshake,
        unixSocket: { dir: scratch.dir },
      }),
      records,
      logger: createLogger((level, message) => records.push(`${level} ${message}`), { level: 'trace' }),
    };
  }

  it('disconnect() leaves the plugin running and reports no exit', async (t) => {
    const { owner, records, logger } = ownerAndRecorder();
    t.after(() => owner.kill());
    await owner.start();
    const second = new PluginClient({ handshake, reattach: owner.reattachConfig(), logger });
    await second.start();
    let exitedEvent = false;
    second.on('exited', () => (exitedEvent = true));
    second.disconnect();
    second.disconnect(); // idempotent
    assert.ok(records.includes('debug disconnected from the plugin; it keeps running'), records.join('\n'));
    assert.ok(!records.some((r) => r.includes('plugin process exited')), records.join('\n'));
    assert.equal(exitedEvent, false);
    assert.equal(second.hasExited, false);
    await assert.rejects(second.ping(), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, Status.UNAVAILABLE);
      assert.match(e.message, /plugin client disconnected$/);
      return true;
    });
    await owner.ping();
    await owner.kill();
    await expectNoProcesses(TOKEN);
  });

  it('kill() of a reattached plugin that ignores Shutdown: disconnects after the grace, never signals it', async (t) => {
    const { owner, records, logger } = ownerAndRecorder({ FIXTURE_IGNORE_SHUTDOWN: '1' });
    t.after(() => owner.kill());
    await owner.start();
    const second = new PluginClient({
      handshake,
      reattach: owner.reattachConfig(),
      logger,
      killGraceMs: 300,
    });
    await second.start();
    assert.equal(await second.kill(), undefined);
    assert.ok(
      records.includes('warn reattached plugin still running after Shutdown; disconnecting'),
      records.join('\n'),
    );
    assert.ok(isAlive(owner.pid));
    await owner.kill();
    await expectNoProcesses(TOKEN);
  });
});

describe('a failed start reports the process it started', () => {
  it('exit status 3 before the handshake: pid and status kept', async () => {
    const c = new PluginClient({
      command: scratch.script('exit3', `exit 3 # ${TOKEN}`),
      handshake,
      unixSocket: { dir: scratch.dir },
    });
    let event: unknown;
    c.on('exited', (e) => (event = e));
    const err = await c.start().catch((e: unknown) => e);
    assert.ok(err instanceof GoPluginError && err.code === 'PROCESS_EXITED', String(err));
    assert.ok(c.pid > 0, 'pid of the process that ran');
    assert.deepEqual(await c.exited, { code: 3, signal: null });
    assert.deepEqual(event, { code: 3, signal: null });
    assert.equal(c.hasExited, true);
  });

  it('kill() while start() is still spawning: the process does not survive, start() rejects, nothing left', async () => {
    const parent = scratch.sub('kill-while-starting');
    const c = new PluginClient({
      command: process.execPath,
      args: [MINIMAL, TOKEN],
      env: { FIXTURE_NO_WATCHDOG: '1' },
      handshake,
      unixSocket: { dir: parent },
    });
    const starting = c.start();
    const killed = c.kill();
    const err = await starting.catch((e: unknown) => e);
    assert.ok(err instanceof GoPluginError && err.code === 'PROCESS_EXITED', String(err));
    await killed;
    assert.ok(c.pid > 0 && !isAlive(c.pid));
    assert.deepEqual(readdirSync(parent), []);
    await expectNoProcesses(TOKEN);
  });

  it('no handshake in time: killed, and exited says so', async () => {
    const c = new PluginClient({
      command: scratch.script('silent', 'exec sleep 60'),
      handshake,
      startTimeoutMs: 300,
      unixSocket: { dir: scratch.dir },
    });
    const err = await c.start().catch((e: unknown) => e);
    assert.ok(err instanceof GoPluginError && err.code === 'START_TIMEOUT', String(err));
    assert.ok(c.pid > 0);
    assert.deepEqual(await c.exited, { code: null, signal: 'SIGKILL' });
    assert.ok(!isAlive(c.pid));
  });
});
