import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { StreamTable } from '../../../src/protocol/h2/stream-table.js';

/** A small deterministic PRNG (xorshift32), so a failure replays. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function sameAs(table: StreamTable<string>, model: Map<number, string>): void {
  assert.equal(table.size, model.size);
  for (const [id, v] of model) {
    assert.equal(table.get(id), v, `get(${id})`);
    assert.equal(table.has(id), true, `has(${id})`);
  }
  assert.deepEqual([...table.values()].sort(), [...model.values()].sort());
}

describe('StreamTable', () => {
  it('behaves as a Map under random set/delete of stream-like ids (long-lived streams, many short ones)', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const next = rng(seed);
      const table = new StreamTable<string>();
      const model = new Map<number, string>();
      let id = 1;
      for (let step = 0; step < 20_000; step++) {
        const r = next();
        if (r < 0.5 || model.size === 0) {
          // A new stream: client ids go up by 2; a few stay open for good (stdio, broker).
          const v = `s${id}`;
          table.set(id, v);
          model.set(id, v);
          id += 2;
        } else if (r < 0.95) {
          // The oldest short-lived stream ends, or a random one.
          const keys = [...model.keys()].filter((k) => k > 5);
          if (keys.length === 0) continue;
          const k = r < 0.8 ? keys[0]! : keys[Math.floor(next() * keys.length)]!;
          assert.equal(table.delete(k), true);
          model.delete(k);
        } else {
          const absent = id + 2 * Math.floor(next() * 1000);
          assert.equal(table.get(absent), undefined);
          assert.equal(table.delete(absent), false);
        }
        if (step % 997 === 0) sameAs(table, model);
      }
      sameAs(table, model);
    }
  });

  it('keeps every entry through collisions, growth and deletions in the middle of probe runs', () => {
    const table = new StreamTable<number>();
    const model = new Map<number, number>();
    // Up to 1,024 open at once (the server's MAX_CONCURRENT_STREAMS), odd and even ids.
    for (let i = 1; i <= 1024; i++) {
      table.set(i, i * 10);
      model.set(i, i * 10);
    }
    for (let i = 1; i <= 1024; i += 3) {
      assert.equal(table.delete(i), true);
      model.delete(i);
    }
    for (const [k, v] of model) assert.equal(table.get(k), v);
    for (let i = 1; i <= 1024; i += 3) assert.equal(table.get(i), undefined);
    assert.equal(table.size, model.size);
  });

  it('set on an existing id replaces the value without growing the count', () => {
    const table = new StreamTable<string>();
    table.set(7, 'a').set(7, 'b');
    assert.equal(table.size, 1);
    assert.equal(table.get(7), 'b');
  });

  it('clear empties it and it is usable again', () => {
    const table = new StreamTable<string>();
    for (let i = 1; i < 100; i += 2) table.set(i, String(i));
    table.clear();
    assert.equal(table.size, 0);
    assert.deepEqual(table.values(), []);
    assert.equal(table.get(1), undefined);
    table.set(101, 'x');
    assert.equal(table.get(101), 'x');
  });

  it('values() is a copy: deleting while iterating it is safe', () => {
    const table = new StreamTable<number>();
    for (let i = 1; i <= 50; i++) table.set(i, i);
    for (const v of table.values()) table.delete(v);
    assert.equal(table.size, 0);
  });

  it('refuses id 0 and negative ids (0 marks an empty slot; stream 0 is the connection)', () => {
    const table = new StreamTable<string>();
    assert.throws(() => table.set(0, 'x'), RangeError);
    assert.throws(() => table.set(-1, 'x'), RangeError);
    assert.equal(table.get(0), undefined);
    assert.equal(table.has(0), false);
  });
});
