/** The supervisor's rules as pure functions: failures, backoff with jitter, the crash window; the manual clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  backoffDelay,
  CrashWindow,
  describeCause,
  describeExit,
  isFailure,
  wantsRestart,
} from '../src/host/restart-policy.js';
import { SUPERVISOR_DEFAULTS } from '../src/host/supervisor-options.js';
import { ManualClock } from '../src/testing/manual-clock.js';

const backoff = { initialBackoffMs: 100, backoffMultiplier: 2, maxBackoffMs: 1000, backoffJitter: 0.2 };

describe('restart policy', () => {
  it('backoff: initial × multiplier^(crashes-1), capped; jitter ± the fraction, never above the cap', () => {
    const mid = (): number => 0.5;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, backoff, mid)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(
      backoffDelay(1, backoff, () => 0),
      80,
    );
    assert.equal(
      backoffDelay(1, backoff, () => 0.999999),
      120,
    );
    assert.equal(
      backoffDelay(5, backoff, () => 0.999999),
      1000,
      'jitter does not exceed the cap',
    );
    assert.equal(
      backoffDelay(5, backoff, () => 0),
      800,
    );
    assert.equal(
      backoffDelay(1, { ...backoff, initialBackoffMs: 0 }, () => 0.9),
      0,
    );
    assert.equal(backoffDelay(1, SUPERVISOR_DEFAULTS, mid), 50, 'the default first delay');
  });

  it('failures: any signal, a non-zero code, unresponsive, a failed start; exit 0 is not one', () => {
    const exited = (code: number | null, signal: NodeJS.Signals | null) =>
      ({ kind: 'exited', exit: { code, signal } }) as const;
    assert.equal(isFailure(exited(0, null)), false);
    assert.equal(isFailure(exited(1, null)), true);
    assert.equal(isFailure(exited(null, 'SIGKILL')), true);
    assert.equal(isFailure({ kind: 'unhealthy', misses: 3, error: 'x' }), true);
    assert.equal(isFailure({ kind: 'start-failed', error: new Error('x') }), true);
    assert.deepEqual(
      (['never', 'on-failure', 'always'] as const).map((p) => [
        wantsRestart(p, exited(0, null)),
        wantsRestart(p, exited(2, null)),
      ]),
      [
        [false, false],
        [false, true],
        [true, true],
      ],
    );
    assert.equal(describeExit({ code: 3, signal: null }), 'exited with code 3');
    assert.equal(describeExit({ code: null, signal: 'SIGSEGV' }), 'killed by SIGSEGV');
    assert.equal(
      describeCause({ kind: 'start-failed', error: new Error('first\n  second\nthird') }),
      'failed to start: first; second; third',
    );
  });

  it('crash window: counts crashes newer than the window; reset forgets them', () => {
    const w = new CrashWindow(1000);
    assert.equal(w.record(0), 1);
    assert.equal(w.record(500), 2);
    assert.equal(w.record(999), 3);
    assert.equal(w.count(1000), 2, 'the crash at 0 is a full window old');
    assert.equal(w.record(1600), 2);
    w.reset();
    assert.equal(w.count(1600), 0);
  });

  it('manual clock: timers fire in time order when advanced past, cancelled ones never', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@300'), 300);
    const c = clock.setTimeout(() => fired.push('never'), 200);
    clock.setTimeout(() => {
      fired.push(`a@100 now=${clock.now()}`);
      clock.setTimeout(() => fired.push('nested@150'), 50);
    }, 100);
    c.cancel();
    assert.deepEqual(clock.timers(), [100, 300]);
    assert.equal(clock.nextIn(), 100);
    clock.advance(299);
    assert.deepEqual(fired, ['a@100 now=1100', 'nested@150']);
    assert.equal(clock.now(), 1299);
    clock.advance(1);
    assert.deepEqual(fired, ['a@100 now=1100', 'nested@150', 'b@300']);
    assert.equal(clock.nextIn(), undefined);
  });
});
