/**
 * stringifyJson: JSON.stringify's text at any depth. The iterative writer is
 * compared with JSON.stringify on random shallow values (seeded; the seed is
 * printed on failure), then used past V8's depth.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { describeStats, fuzzCases, runFuzz } from '@qplugin/go-plugin/testing';
import type { Rng } from '@qplugin/go-plugin/testing';

import { stringifyIteratively, stringifyJson } from '../src/json-text.js';
import type { JsonReplacer } from '../src/json-text.js';

function randomValue(rng: Rng, depth: number): unknown {
  switch (rng.int(depth > 0 ? 14 : 9)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -0, 1.5, -1e21, 1e-7, NaN, Infinity, 2 ** 53]);
    case 3:
      return rng.text(rng.size(10));
    case 4:
      return undefined;
    case 5:
      return rng.pick([() => 1, Symbol('s')]);
    case 6:
      return rng.pick([new Date(rng.int(2 ** 40)), new Number(3), new String('s'), new Boolean(false)]);
    case 7:
      return { toJSON: (key: string) => `key=${key}` };
    case 8:
      return rng.pick([new Map([[1, 2]]), new Set([1]), Buffer.from('ab'), new Uint8Array([1, 2])]);
    case 9:
    case 10:
      return Array.from({ length: rng.size(5) }, () => randomValue(rng, depth - 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = rng.size(5); i > 0; i--)
        out[rng.pick(['a', 'b', '', '0', '__x', rng.text(3)])] = randomValue(rng, depth - 1);
      return out;
    }
  }
}

const REPLACERS: (JsonReplacer | undefined)[] = [
  undefined,
  (_k, v) => (typeof v === 'number' ? v * 2 : v),
  (k, v) => (k === 'a' ? undefined : v),
  function (this: unknown, _k, v) {
    // Uses the holder, as replacers may.
    return Array.isArray(this) && typeof v === 'string' ? `${v}!` : v;
  },
];

describe('stringifyJson', () => {
  it('writes what JSON.stringify writes (random values, indents, replacers)', async (t) => {
    const stats = await runFuzz({
      name: 'json-text',
      cases: fuzzCases(3000),
      generate: (rng) => ({
        value: randomValue(rng, 4),
        indent: rng.pick([undefined, 0, 1, 2, 4, 12, -1, 2.5]),
        replacer: rng.int(REPLACERS.length),
      }),
      check: ({ value, indent, replacer }) => {
        const r = REPLACERS[replacer];
        const outcome = (write: () => string | undefined): { text?: string | undefined; error?: string } => {
          try {
            return { text: write() };
          } catch (err) {
            return { error: `${(err as Error).name}: ${(err as Error).message}` };
          }
        };
        const ours = outcome(() => stringifyIteratively(value, r, indent));
        assert.deepEqual(
          ours,
          outcome(() => JSON.stringify(value, r, indent)),
        );
        return ours.error === undefined ? 'same text' : 'same error';
      },
      show: ({ value, indent, replacer }) =>
        `${String(JSON.stringify(value))} indent ${String(indent)} replacer ${replacer}`,
    });
    t.diagnostic(describeStats('json-text', stats));
  });

  it('past V8’s depth: the same text as a shallow reference, nested', () => {
    const depth = 20_000; // without indentation: indented, the text grows with depth squared
    let value: unknown = { a: [1, 'x'] };
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
    assert.throws(() => JSON.stringify(value), RangeError);
    const text = stringifyJson(value) ?? '';
    let expected = '{"a":[1,"x"]}';
    for (let i = 0; i < depth; i++) expected = i % 2 ? `[${expected}]` : `{"k":${expected}}`;
    assert.equal(text, expected);
  });

  it('keeps JSON.stringify’s TypeErrors: BigInt and cycles, at any depth', () => {
    let deep: unknown = 1n;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    assert.throws(() => stringifyJson(deep), {
      name: 'TypeError',
      message: 'Do not know how to serialize a BigInt',
    });
    const cyclic: unknown[] = [];
    let outer: unknown = cyclic;
    for (let i = 0; i < 10_000; i++) outer = [outer];
    cyclic.push(outer);
    assert.throws(() => stringifyJson(outer), {
      name: 'TypeError',
      message: 'Converting circular structure to JSON',
    });
  });
});
