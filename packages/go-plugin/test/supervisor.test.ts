/**
 * PluginSupervisor with real plugin processes (test/fixtures/crashy-plugin):
 * kill -9, exit codes, failed restarts, hangs caught by health checks, the
 * crash budget, calls waiting for restarts, stop and restart on request.
 * Time (backoff, windows, health intervals, call waits) runs on a manual
 * clock, so nothing here sleeps: each step waits for an event.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

import { killAllManaged } from '../src/host/managed.js';
import type { PluginClientOptions } from '../src/host/options.js';
import { PluginSupervisor } from '../src/host/supervisor.js';
import type { ExitedEvent, ReadyEvent, RestartingEvent } from '../src/host/supervisor-events.js';
import type { PluginSupervisorOptions } from '../src/host/supervisor-options.js';
import { Health, ServingStatus } from '../src/protocol/builtins.js';
import type { GoPluginError } from '../src/protocol/errors.js';
import type { LogLevel } from '../src/protocol/hclog.js';
import { createLogger } from '../src/protocol/logger.js';
import type { RpcError } from '../src/protocol/rpc-error.js';
import { Status } from '../src/protocol/rpc-error.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { expectNoProcesses, isAlive } from '../src/testing/process.js';
import { Scratch } from './support/scratch.js';

const scratch = new Scratch('qp-sup-');
/** Extra argv marking this file's plugin processes (test files run in parallel). */
const TOKEN = `--qp-test=${randomUUID()}`;
const CRASHY = fileURLToPath(new URL('./fixtures/crashy-plugin.js', import.meta.url));
const handshake = { protocolVersion: 1, magicCookieKey: 'FIXTURE_COOKIE', magicCookieValue: 'fixture' };

interface LogRecord {
  level: LogLevel;
  message: string;
  fields: { [key: string]: unknown };
}

function setup(options: Partial<PluginSupervisorOptions> = {}, client: Partial<PluginClientOptions> = {}) {
  const dir = scratch.sub('crashy');
  const control = join(dir, 'control');
  const startFile = join(dir, 'start');
  const clock = new ManualClock();
  const records: LogRecord[] = [];
  const logger = createLogger((level, message, _m, fields) => records.push({ level, message, fields }), {
    level: 'debug',
  });
  const sup = new PluginSupervisor({
    name: 'crashy',
    client: {
      command: process.execPath,
      args: [CRASHY, TOKEN],
      env: { FIXTURE_CONTROL: control, FIXTURE_START_FILE: startFile },
      handshake,
      unixSocket: { dir: scratch.dir },
      killGraceMs: 200,
      ...client,
    },
    clock,
    random: () => 0.5, // no jitter: delays are exact
    initialBackoffMs: 100,
    healthIntervalMs: 0,
    logger,
    ...options,
  });
  after(() => sup.stop());
  return {
    sup,
    clock,
    records,
    health: sup.client(Health),
    /** Tells the running plugin to `exit N` or `hang`. */
    tell(order: string): void {
      writeFileSync(control, order);
      process.kill(sup.pid, 'SIGUSR2');
    },
    /** Makes every start fail with `exit N` until allowed again. */
    failStarts: (order: string) => writeFileSync(startFile, order),
    allowStarts: () => rmSync(startFile, { force: true }),
  };
}

const serving = async (h: ReturnType<typeof setup>['health']): Promise<void> =>
  assert.equal((await h.check({ service: 'plugin' })).status, ServingStatus.SERVING);

async function noLeftovers(): Promise<void> {
  await expectNoProcesses(TOKEN);
  assert.deepEqual(
    scratch.list(scratch.dir).filter((n) => n.startsWith('plugin-dir')),
    [],
    'socket dirs removed',
  );
}

describe('PluginSupervisor', () => {
  it('restarts a plugin killed with SIGKILL after the backoff; calls made meanwhile wait, then succeed', async () => {
    const { sup, clock, records, health } = setup();
    await sup.start();
    assert.equal(sup.state, 'ready');
    await serving(health);
    const first = sup.pid;

    const restarting = once(sup, 'restarting');
    process.kill(first, 'SIGKILL');
    const [plan] = (await restarting) as [RestartingEvent];
    assert.equal(plan.reason, 'killed by SIGKILL');
    assert.equal(plan.delayMs, 100);
    assert.equal(plan.crashes, 1);
    assert.equal(sup.state, 'restarting');
    assert.equal(sup.pid, 0);
    const error = records.find((r) => r.level === 'error');
    assert.ok(error, 'the death is logged at ERROR');
    assert.match(
      error.message,
      /killed by SIGKILL; restarting in 100 ms \(crash 1; gives up at 5 crashes within 60 s\)/,
    );
    assert.equal(error.fields.signal, 'SIGKILL');
    assert.equal(error.fields.pid, first);

    const waiting = health.check({ service: 'plugin' });
    const watching = health.watch({ service: 'plugin' })[Symbol.asyncIterator]().next(); // server streaming
    const ready = once(sup, 'ready');
    clock.advance(100);
    const [r] = (await ready) as [ReadyEvent];
    assert.equal(r.reason, 'recover');
    assert.equal(r.incarnation, 2);
    assert.equal(r.downtimeMs, 100);
    assert.notEqual(r.pid, first);
    assert.equal(
      (await waiting).status,
      ServingStatus.SERVING,
      'the call made during the restart got through',
    );
    assert.equal((await watching).value?.status, ServingStatus.SERVING, 'so did the stream');
    const info = sup.info();
    assert.equal(info.state, 'ready');
    assert.equal(info.restarts, 1);
    assert.equal(info.recentCrashes, 1);
    assert.equal(info.pid, r.pid);
    assert.deepEqual(
      { code: info.lastExit?.code, signal: info.lastExit?.signal, reason: info.lastExit?.reason },
      { code: null, signal: 'SIGKILL', reason: 'killed by SIGKILL' },
    );
    assert.ok(records.some((x) => x.level === 'info' && x.message === 'plugin restarted'));

    await sup.stop();
    assert.equal(sup.state, 'stopped');
    await noLeftovers();
  });

  it('exit codes and policies: on-failure restarts code 3, not code 0; always restarts code 0; never gives up', async () => {
    const onFailure = setup();
    await onFailure.sup.start();
    const restarting = once(onFailure.sup, 'restarting');
    onFailure.tell('exit 3');
    const [plan] = (await restarting) as [RestartingEvent];
    assert.equal(plan.reason, 'exited with code 3');
    assert.deepEqual(plan.cause, { kind: 'exited', exit: { code: 3, signal: null } });
    const ready = once(onFailure.sup, 'ready');
    onFailure.clock.advance(plan.delayMs);
    await ready;

    const stopped = once(onFailure.sup, 'stopped');
    onFailure.tell('exit 0');
    await stopped;
    assert.equal(onFailure.sup.state, 'stopped');
    assert.deepEqual(onFailure.clock.timers(), [], 'no restart planned');
    await assert.rejects(
      onFailure.health.check({ service: 'plugin' }),
      (e: RpcError) =>
        e.code === Status.UNAVAILABLE &&
        /plugin crashy is not running \(exited with code 0 by itself \(restart policy on-failure\)\)/.test(
          e.message,
        ),
    );
    assert.ok(
      onFailure.records.some((r) => r.level === 'warn' && /exited with code 0 by itself/.test(r.message)),
    );

    const always = setup({ restart: 'always' });
    await always.sup.start();
    const again = once(always.sup, 'restarting');
    always.tell('exit 0');
    assert.equal(((await again) as [{ reason: string }])[0].reason, 'exited with code 0');
    const back = once(always.sup, 'ready');
    always.clock.advance(100);
    await back;
    await serving(always.health);

    const never = setup({ restart: 'never' });
    await never.sup.start();
    const failed = once(never.sup, 'failed');
    process.kill(never.sup.pid, 'SIGKILL');
    const [f] = (await failed) as [{ reason: string }];
    assert.equal(f.reason, 'restart policy never (last: killed by SIGKILL)');
    assert.equal(never.sup.state, 'failed');
    assert.deepEqual(never.clock.timers(), []);
    await assert.rejects(
      never.health.check({ service: 'plugin' }),
      /plugin crashy is not running and will not be restarted: restart policy never \(last: killed by SIGKILL\)/,
    );

    await Promise.all([onFailure.sup.stop(), always.sup.stop(), never.sup.stop()]);
    await noLeftovers();
  });

  it('calls waiting for a restart end at their deadline, at maxCallWaitMs, or when cancelled', async () => {
    const { sup, clock, health } = setup({ initialBackoffMs: 1000, maxCallWaitMs: 300 });
    await sup.start();
    const restarting = once(sup, 'restarting');
    process.kill(sup.pid, 'SIGKILL');
    await restarting;

    const byDeadline = health.check({ service: 'plugin' }, { deadline: 200 });
    const byCap = health.check({ service: 'plugin' });
    const abort = new AbortController();
    const cancelled = health.check({ service: 'plugin' }, { signal: abort.signal });
    abort.abort(new Error('client went away'));
    await assert.rejects(cancelled, (e: RpcError) => {
      assert.equal(e.code, Status.CANCELLED);
      assert.match(e.message, /call cancelled while plugin crashy was restarting: client went away/);
      return true;
    });
    clock.advance(200);
    await assert.rejects(byDeadline, (e: RpcError) => {
      assert.equal(e.code, Status.DEADLINE_EXCEEDED);
      assert.match(
        e.message,
        /deadline exceeded while plugin crashy was restarting \(last: killed by SIGKILL\)/,
      );
      return true;
    });
    clock.advance(100);
    await assert.rejects(byCap, (e: RpcError) => {
      assert.equal(e.code, Status.UNAVAILABLE);
      assert.match(
        e.message,
        /plugin crashy is restarting \(last: killed by SIGKILL\): not ready within 300 ms/,
      );
      return true;
    });

    clock.advance(500);
    const inTime = health.check({ service: 'plugin' }, { deadline: 5000 });
    const ready = once(sup, 'ready');
    clock.advance(200); // the restart is due; this call's cap (300 ms) is not
    await ready;
    assert.equal((await inTime).status, ServingStatus.SERVING);
    await sup.stop();
    await noLeftovers();
  });

  it('spends the crash budget: the 3rd crash within the window fails it, calls then fail fast; restart() revives it', async () => {
    const { sup, clock, records, health } = setup({ maxCrashes: 3, crashWindowMs: 60_000 });
    await sup.start();
    const delays: number[] = [];
    for (let i = 0; i < 2; i++) {
      const restarting = once(sup, 'restarting');
      process.kill(sup.pid, 'SIGKILL');
      const [plan] = (await restarting) as [{ delayMs: number }];
      delays.push(plan.delayMs);
      const ready = once(sup, 'ready');
      clock.advance(plan.delayMs);
      await ready;
    }
    assert.deepEqual(delays, [100, 200], 'the delay doubles');

    const failed = once(sup, 'failed');
    process.kill(sup.pid, 'SIGKILL');
    const [f] = (await failed) as [{ reason: string; crashes: number }];
    assert.equal(f.reason, '3 crashes within 60 s (last: killed by SIGKILL)');
    assert.equal(f.crashes, 3);
    assert.equal(sup.state, 'failed');
    assert.equal(sup.info().reason, f.reason);
    assert.deepEqual(clock.timers(), [], 'nothing planned, nothing to wait for');
    await assert.rejects(health.check({ service: 'plugin' }), (e: RpcError) => {
      assert.equal(e.code, Status.UNAVAILABLE);
      assert.equal(
        e.details,
        'plugin crashy is not running and will not be restarted: 3 crashes within 60 s (last: killed by SIGKILL)',
      );
      return true;
    });
    assert.ok(
      records.some(
        (r) => r.level === 'error' && /killed by SIGKILL; giving up: 3 crashes within 60 s/.test(r.message),
      ),
    );

    await sup.restart();
    assert.equal(sup.state, 'ready');
    assert.equal(sup.info().recentCrashes, 0);
    await serving(health);
    await sup.stop();
    await noLeftovers();
  });

  it('forgets crashes older than the window: the delay and the budget start over', async () => {
    const { sup, clock } = setup({ maxCrashes: 2, crashWindowMs: 10_000 });
    await sup.start();
    const first = once(sup, 'restarting');
    process.kill(sup.pid, 'SIGKILL');
    assert.equal(((await first) as [{ delayMs: number }])[0].delayMs, 100);
    const ready = once(sup, 'ready');
    clock.advance(100);
    await ready;
    clock.advance(10_000);
    const second = once(sup, 'restarting');
    process.kill(sup.pid, 'SIGKILL');
    const [plan] = (await second) as [{ delayMs: number; crashes: number }];
    assert.deepEqual([plan.crashes, plan.delayMs], [1, 100]);
    assert.equal(sup.state, 'restarting');
    await sup.stop();
    await noLeftovers();
  });

  it('a restart that fails counts as a crash and is retried after a longer delay', async () => {
    const { sup, clock, records, health, failStarts, allowStarts } = setup();
    await sup.start();
    failStarts('exit 4');
    const first = once(sup, 'restarting');
    process.kill(sup.pid, 'SIGKILL');
    await first;
    const second = once(sup, 'restarting');
    clock.advance(100);
    const [plan] = (await second) as [RestartingEvent];
    assert.equal(plan.cause.kind, 'start-failed');
    assert.match(plan.reason, /^failed to start: plugin exited before we could connect; exit status 4/);
    assert.match(plan.reason, /told to fail at start: exit 4/, 'with its last stderr line');
    assert.deepEqual([plan.crashes, plan.delayMs], [2, 200]);
    assert.equal(sup.info().lastExit?.code, 4);
    assert.ok(records.some((r) => r.level === 'error' && r.fields.code === 4));

    allowStarts();
    const ready = once(sup, 'ready');
    clock.advance(200);
    const [r] = (await ready) as [{ incarnation: number; downtimeMs: number }];
    assert.deepEqual([r.incarnation, r.downtimeMs], [3, 300]);
    assert.equal(sup.info().restarts, 2);
    await serving(health);
    await sup.stop();
    await noLeftovers();
  });

  it('health checks: a plugin that stops answering is killed after N misses and restarted', async () => {
    const { sup, clock, records, health, tell } = setup({
      healthIntervalMs: 1000,
      healthTimeoutMs: 500,
      healthMisses: 2,
    });
    await sup.start();
    const ok = once(sup, 'health');
    clock.advance(1000);
    assert.deepEqual((await ok)[0], { incarnation: 1, ok: true, misses: 0 });

    const hung = sup.pid;
    tell('hang');
    const misses: unknown[] = [];
    for (let i = 1; i <= 2; i++) {
      const miss = once(sup, 'health');
      clock.advance(1000); // the check goes out…
      clock.advance(500); // …and is not answered in time
      misses.push((await miss)[0]);
    }
    assert.deepEqual(misses, [
      { incarnation: 1, ok: false, misses: 1, error: 'no answer within 500 ms' },
      { incarnation: 1, ok: false, misses: 2, error: 'no answer within 500 ms' },
    ]);
    assert.equal(sup.state, 'restarting');
    assert.equal(
      sup.info().lastExit?.reason,
      'unresponsive: 2 health checks failed in a row (last: no answer within 500 ms)',
    );
    assert.ok(records.some((r) => r.level === 'warn' && r.message === 'plugin health check failed'));
    assert.ok(
      records.some(
        (r) => r.level === 'error' && /^plugin unresponsive: .*; restarting in 100 ms/.test(r.message),
      ),
    );

    const exited = once(sup, 'exited');
    const ready = once(sup, 'ready');
    clock.advance(100);
    const [gone] = (await exited) as [{ pid: number; expected: boolean }];
    assert.deepEqual(
      [gone.pid, gone.expected],
      [hung, true],
      'the hung process was killed by the supervisor',
    );
    assert.ok(!isAlive(hung));
    await ready;
    await serving(health);
    await sup.stop();
    await noLeftovers();
  });

  it('runs onStart on every process; when it fails on a restart, that restart is retried', async () => {
    const seen: string[] = [];
    let refuse = false;
    const { sup, clock, health } = setup({
      onStart: async (client, start) => {
        await client.ping(); // the new process answers before calls are let through
        seen.push(`${start.incarnation}:${start.reason}`);
        if (refuse) {
          refuse = false;
          throw new Error('init refused');
        }
      },
    });
    await sup.start();
    refuse = true;
    const first = once(sup, 'restarting');
    process.kill(sup.pid, 'SIGKILL');
    await first;
    const second = once(sup, 'restarting');
    clock.advance(100);
    const [plan] = (await second) as [{ reason: string; delayMs: number }];
    assert.equal(plan.reason, 'failed to start: init refused');
    const ready = once(sup, 'ready');
    clock.advance(plan.delayMs);
    await ready;
    assert.deepEqual(seen, ['1:start', '2:recover', '3:recover']);
    await serving(health);
    await sup.stop();
    await noLeftovers();
  });

  it('a first start that fails is reported, not retried', async () => {
    const { sup, clock, health, failStarts } = setup();
    failStarts('exit 5');
    const failed = once(sup, 'failed');
    await assert.rejects(sup.start(), (e: GoPluginError) => e.code === 'PROCESS_EXITED');
    const [f] = (await failed) as [{ reason: string }];
    assert.match(
      f.reason,
      /^the first start failed \(last: failed to start: plugin exited before we could connect/,
    );
    assert.equal(sup.state, 'failed');
    assert.deepEqual(clock.timers(), []);
    await assert.rejects(
      health.check({ service: 'plugin' }),
      /will not be restarted: the first start failed/,
    );
    await sup.stop();
    await noLeftovers();
  });

  it('stop() cancels a planned restart; processes it or killAllManaged() end are not restarted', async () => {
    const planned = setup();
    await planned.sup.start();
    const restarting = once(planned.sup, 'restarting');
    process.kill(planned.sup.pid, 'SIGKILL');
    await restarting;
    const waiting = assert.rejects(
      planned.health.check({ service: 'plugin' }),
      /plugin crashy is not running \(stopped\)/,
    );
    await planned.sup.stop();
    await waiting;
    assert.deepEqual(planned.clock.timers(), [], 'restart timer cancelled');
    let starts = 0;
    planned.sup.on('starting', () => starts++);
    planned.clock.advance(60_000);
    assert.equal(starts, 0);

    const running = setup();
    await running.sup.start();
    const exits: { expected: boolean }[] = [];
    running.sup.on('exited', (e) => exits.push(e));
    running.sup.on('restarting', () => assert.fail('restarted after stop()'));
    const stopped = once(running.sup, 'stopped');
    await running.sup.kill(); // PluginClient's name for it
    await stopped;
    assert.deepEqual(
      exits.map((e) => e.expected),
      [true],
    );
    await assert.rejects(running.sup.restart(), (e: GoPluginError) => e.code === 'CLIENT_STATE');
    await assert.rejects(running.sup.start(), (e: GoPluginError) => e.code === 'CLIENT_STATE');

    const managed = setup({}, { managed: true });
    await managed.sup.start();
    managed.sup.on('restarting', () => assert.fail('restarted after killAllManaged()'));
    const pid = managed.sup.pid;
    await killAllManaged();
    assert.ok(!isAlive(pid));
    assert.equal(managed.sup.state, 'stopped');
    await noLeftovers();
  });

  it('stop() during the first start ends it: start() rejects and nothing is left', async () => {
    const { sup } = setup();
    const starting = sup.start();
    const stopping = once(sup, 'starting').then(() => sup.stop());
    await assert.rejects(starting);
    await stopping;
    assert.equal(sup.state, 'stopped');
    await noLeftovers();
  });

  it('restart() replaces the process on request without counting a crash; calls wait for it', async () => {
    const { sup, health } = setup();
    await sup.start();
    const first = sup.pid;
    const exits: ExitedEvent[] = [];
    sup.on('exited', (e) => exits.push(e));
    const restarted = sup.restart();
    assert.equal(sup.state, 'starting');
    const waiting = health.check({ service: 'plugin' });
    await restarted;
    assert.equal((await waiting).status, ServingStatus.SERVING);
    assert.notEqual(sup.pid, first);
    assert.deepEqual(exits, [{ incarnation: 1, pid: first, exit: exits[0]!.exit, expected: true }]);
    const info = sup.info();
    assert.deepEqual([info.restarts, info.recentCrashes, info.incarnation, info.lastExit], [0, 0, 2, null]);
    await sup.stop();
    await noLeftovers();
  });

  it('20 kill/restart cycles under calls leave no file descriptor, listener, timer or process behind', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    const { sup, clock, health } = setup({ maxCrashes: 1000, maxBackoffMs: 100 });
    await sup.start();
    for (let i = 0; i < 20; i++) {
      const restarting = once(sup, 'restarting');
      process.kill(sup.pid, 'SIGKILL');
      const [plan] = (await restarting) as [RestartingEvent];
      const calls = Array.from({ length: 8 }, () => health.check({ service: 'plugin' }));
      const ready = once(sup, 'ready');
      clock.advance(plan.delayMs);
      await ready;
      for (const c of await Promise.all(calls)) assert.equal(c.status, ServingStatus.SERVING);
    }
    assert.equal(sup.info().restarts, 20);
    await sup.stop();
    process.off('warning', onWarning);
    assert.deepEqual(clock.timers(), [], 'no timer left');
    assert.deepEqual(
      sup.eventNames().filter((e) => sup.listenerCount(e) > 0),
      [],
      'no listener left on the supervisor',
    );
    assert.deepEqual(warnings, []);
    await noLeftovers();
    assert.ok(fds() <= before, `file descriptors: ${before} before, ${fds()} after`);
  });

  it('rejects invalid options, naming the field and the rule', () => {
    const client = { command: process.execPath, handshake };
    const cases: [Partial<PluginSupervisorOptions>, RegExp][] = [
      [{ restart: 'sometimes' as never }, /restart is "sometimes": never, on-failure, always/],
      [{ initialBackoffMs: -1 }, /initialBackoffMs is -1: a whole number of ms ≥ 0/],
      [
        { initialBackoffMs: 500, maxBackoffMs: 100 },
        /maxBackoffMs is 100: a whole number of ms ≥ initialBackoffMs \(500\)/,
      ],
      [{ backoffMultiplier: 0.5 }, /backoffMultiplier is 0.5: a number ≥ 1/],
      [{ backoffJitter: 2 }, /backoffJitter is 2: a fraction from 0 to 1/],
      [{ maxCrashes: 0 }, /maxCrashes is 0: a whole number ≥ 1/],
      [{ crashWindowMs: Number.NaN }, /crashWindowMs is null/],
      [{ healthTimeoutMs: 0 }, /healthTimeoutMs is 0/],
      [{ healthMisses: 1.5 }, /healthMisses is 1.5/],
      [{ maxCallWaitMs: -5 }, /maxCallWaitMs is -5/],
    ];
    for (const [bad, message] of cases) {
      assert.throws(
        () => new PluginSupervisor({ client, ...bad }),
        (e: GoPluginError) => e.code === 'INVALID_OPTIONS' && message.test(e.message) && e.fix !== undefined,
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () => new PluginSupervisor({} as PluginSupervisorOptions),
      (e: GoPluginError) => e.code === 'INVALID_OPTIONS' && /client is missing/.test(e.message),
    );
  });
});
