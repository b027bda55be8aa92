import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatOfferedVersions, negotiateVersion, parseOfferedVersions } from '../src/protocol/negotiate.js';
import { goAtoi, goParseBool, goQuote } from '../src/protocol/gostrconv.js';

const sets = new Map([
  [1, 'v1'],
  [2, 'v2'],
  [3, 'v3'],
]);

describe('version negotiation (plugin side)', () => {
  it('picks the highest version both sides have', () => {
    assert.deepEqual(negotiateVersion('1,2', sets), { version: 2, set: 'v2', matched: true, warnings: [] });
    assert.equal(negotiateVersion('3', sets).set, 'v3');
  });
  it('serves the lowest version when nothing matches or the host sent nothing', () => {
    assert.deepEqual(negotiateVersion('7,9', sets), { version: 1, set: 'v1', matched: false, warnings: [] });
    assert.equal(negotiateVersion(undefined, sets).version, 1);
  });
  it("skips unparsable items with go-plugin's note", () => {
    const r = negotiateVersion('x,2', sets);
    assert.equal(r.version, 2);
    assert.deepEqual(r.warnings, ['server sent invalid plugin version "x"']);
    assert.deepEqual(parseOfferedVersions(' 1'), {
      versions: [],
      warnings: ['server sent invalid plugin version " 1"'],
    });
  });
  it('formats the host offer', () => {
    assert.equal(formatOfferedVersions([1, 3, 3, 2]), '3,2,1');
  });
});

describe('Go strconv rules', () => {
  it('Atoi', () => {
    assert.equal(goAtoi('-007'), -7);
    assert.throws(() => goAtoi(''), /^Error: strconv.Atoi: parsing "": invalid syntax$/);
    assert.throws(() => goAtoi('99999999999999999999'), /value out of range/);
  });
  it('ParseBool', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(goParseBool(t), true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(goParseBool(f), false);
    assert.throws(() => goParseBool('yes'), /strconv.ParseBool: parsing "yes": invalid syntax/);
  });
  it('%q quoting', () => {
    assert.equal(goQuote('a"b\\c\n\x01'), '"a\\"b\\\\c\\n\\x01"');
  });
});
