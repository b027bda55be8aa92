/** The fuzzer itself: reproducible streams, replayable failures, kept regressions first. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { FuzzFailure, mutateBytes, Rng, runFuzz } from '../src/testing/index.js';

describe('fuzz harness', () => {
  it('a seed gives the same stream; another seed another one', () => {
    const take = (seed: number): number[] => {
      const rng = new Rng(seed);
      return Array.from({ length: 8 }, () => rng.next());
    };
    assert.deepEqual(take(42), take(42));
    assert.notDeepEqual(take(42), take(43));
    const rng = new Rng(7);
    for (let i = 0; i < 1000; i++) {
      const n = rng.int(10);
      assert.ok(Number.isInteger(n) && n >= 0 && n < 10);
      const r = rng.range(-3, 3);
      assert.ok(r >= -3 && r <= 3);
    }
  });

  it('mutations are reproducible and change the input', () => {
    const input = Buffer.from('{"providers":{"helloworld":{"name":"a"}}}');
    const a = mutateBytes(new Rng(1), input);
    assert.deepEqual(a, mutateBytes(new Rng(1), input));
    const changed = Array.from({ length: 50 }, (_, i) => mutateBytes(new Rng(i), input)).filter(
      (m) => !m.equals(input),
    );
    assert.ok(changed.length >= 45, `only ${changed.length} of 50 mutations changed the input`);
  });

  it('a failing case names its seed and index, writes its input, and replays alone', async () => {
    const target = {
      name: 'harness-test',
      cases: 50,
      seed: 1234,
      generate: (rng: Rng) => rng.int(1000),
      check: (n: number) => {
        if (n % 7 === 3) throw new Error(`bad ${n}`);
        return 'ok';
      },
    };
    const err = await runFuzz(target).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FuzzFailure);
    assert.equal(err.seed, 1234);
    assert.match(
      err.message,
      new RegExp(
        `case ${err.index} failed \\(seed 1234; replay with FUZZ_SEED=1234 FUZZ_CASE=${err.index}\\)`,
      ),
    );
    assert.match(err.message, /Error: bad \d+/);
    const shown = readFileSync(err.inputFile!, 'utf8');
    // The same case generates the same input on its own.
    const replayed = new Rng((1234 ^ Math.imul(err.index + 1, 0x9e3779b1)) >>> 0).int(1000);
    assert.equal(shown, String(replayed));
  });

  it('kept regressions run first, whatever the seed', async () => {
    const seen: number[] = [];
    const stats = await runFuzz({
      name: 'harness-regressions',
      cases: 3,
      regressions: [-1, -2],
      generate: (rng) => rng.int(100),
      check: (n) => {
        seen.push(n);
        return n < 0 ? 'regression' : 'generated';
      },
    });
    assert.deepEqual(seen.slice(0, 2), [-1, -2]);
    assert.deepEqual(stats.outcomes, { regression: 2, generated: 3 });
    assert.equal(stats.cases, 5);
    const failing = await runFuzz({
      name: 'harness-regressions',
      cases: 3,
      regressions: [13],
      generate: () => 0,
      check: (n) => {
        if (n === 13) throw new Error('still broken');
        return 'ok';
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(failing instanceof FuzzFailure);
    assert.match(failing.message, /regression case 0 failed/);
  });
});
