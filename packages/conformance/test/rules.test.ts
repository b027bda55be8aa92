/**
 * The rule list in code and the rules of docs/protocol.md are the same: every
 * `**ID** (role, LEVEL)` paragraph of the document has its entry, with the
 * same role and level, and every entry its paragraph. Both checks cite only
 * ids from this list (Point rejects others).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { RULES, rule } from '../src/rules.js';

const DOC = fileURLToPath(new URL('../../../../docs/protocol.md', import.meta.url));

describe('rules', () => {
  const text = readFileSync(DOC, 'utf8');
  const documented = [
    ...text.matchAll(/^\*\*([A-Z]+-\d+)\*\* \((host|plugin|both), (MUST|SHOULD|MAY)\)/gm),
  ].map((m) => ({ id: m[1]!, role: m[2]!, level: m[3]! }));

  it('docs/protocol.md defines exactly the rules of rules.ts, with their role and level', () => {
    assert.deepEqual(
      documented.map((d) => d.id),
      RULES.map((r) => r.id),
    );
    for (const d of documented) {
      const r = rule(d.id);
      assert.equal(r.role, d.role, `${d.id} role`);
      assert.equal(r.level, d.level, `${d.id} level`);
    }
  });

  it('every id the document mentions exists', () => {
    const mentioned = new Set(
      [...text.matchAll(/\b(ENV|CK|VN|HS|TLS|LS|SVC|IO|LOG|LC|BRK|RA)-\d+\b/g)].map((m) => m[0]),
    );
    for (const id of mentioned) assert.doesNotThrow(() => rule(id), id);
  });

  it('ids are unique and titled', () => {
    assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
    for (const r of RULES) assert.ok(r.title.length > 10, r.id);
    assert.throws(() => rule('XX-1'), /unknown rule id XX-1/);
  });
});
