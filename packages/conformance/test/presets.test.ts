/** --cookie and --protocol-versions parsing, and the kit's presets. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { KIT_PRESETS, KV_PRESET, TERRAFORM_PRESET, parseCookie, parseVersions } from '../src/presets.js';

describe('presets', () => {
  it('KEY=VALUE cookies; the value may hold "="', () => {
    assert.deepEqual(parseCookie('BASIC_PLUGIN=hello'), { key: 'BASIC_PLUGIN', value: 'hello' });
    assert.deepEqual(parseCookie('K=a=b'), { key: 'K', value: 'a=b' });
    assert.deepEqual(parseCookie('K='), { key: 'K', value: '' });
    assert.equal(parseCookie('=v'), undefined);
    assert.equal(parseCookie('novalue'), undefined);
  });

  it('version lists: positive integers, duplicates dropped', () => {
    assert.deepEqual(parseVersions('5,6'), [5, 6]);
    assert.deepEqual(parseVersions(' 6 , 5,6'), [6, 5]);
    for (const bad of ['', '5,', 'x', '0', '-1', '1.5']) assert.equal(parseVersions(bad), undefined, bad);
  });

  it('kv and terraform presets', () => {
    assert.deepEqual(
      KIT_PRESETS.map((p) => p.name),
      ['kv', 'terraform'],
    );
    assert.equal(KV_PRESET.autoMTLS, false);
    assert.deepEqual(KV_PRESET.cookie, { key: 'BASIC_PLUGIN', value: 'hello' });
    assert.equal(TERRAFORM_PRESET.autoMTLS, true);
    assert.deepEqual([...TERRAFORM_PRESET.protocolVersions].sort(), [5, 6]);
  });
});
