/** How a point sums up its findings, and the rule ids they cite. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Point, results } from '../src/points.js';

describe('points', () => {
  it('a point takes the worst finding, shows the problems, their fixes and rules', () => {
    const p = new Point('handshake', 'handshake line')
      .pass('HS-2', 'fine')
      .warn('HS-2', 'w', 'fix w')
      .fail('HS-7', 'f', 'fix f')
      .warn('LS-3', 'w2', 'fix w');
    const r = p.result(2);
    assert.equal(r.status, 'fail');
    assert.equal(r.number, 2);
    assert.equal(r.title, 'handshake line');
    assert.equal(r.detail, 'w; f; w2');
    assert.equal(r.fix, 'fix w fix f');
    assert.deepEqual(r.rules, ['HS-2', 'HS-7', 'LS-3']);
    assert.equal(r.findings.length, 4);
    assert.deepEqual(r.findings[2], { status: 'fail', rule: 'HS-7', detail: 'f', fix: 'fix f' });
  });

  it('a passed point shows what passed and has no fix; a skipped one its reason', () => {
    assert.deepEqual(new Point('orphans', 'o').pass('LC-6', 'ok').result(1).fix, '');
    const skipped = new Point('init', 'i').skip('why').result(6);
    assert.equal(skipped.status, 'skip');
    assert.equal(skipped.detail, 'why');
    assert.deepEqual(skipped.rules, []);
  });

  it('findings outside the protocol cite no rule', () => {
    const r = new Point('init', 'Init').pass(undefined, 'OK').result(1);
    assert.deepEqual(r.findings, [{ status: 'pass', detail: 'OK' }]);
    assert.deepEqual(r.rules, []);
  });

  it('an unknown rule id is a bug in the check and throws', () => {
    assert.throws(() => new Point('x', 'x').fail('HS-99', 'd', 'f'), /unknown rule id HS-99/);
  });

  it('results() numbers the points in report order', () => {
    const r = results([new Point('a', 'A').pass('HS-1', 'x'), new Point('b', 'B').skip('y')]);
    assert.deepEqual(
      r.map((p) => [p.id, p.number]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
  });
});
