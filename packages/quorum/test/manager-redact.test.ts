/** Config strings kept out of texts shown on the metrics listener. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { configStrings, redact, resolvedConfigStrings } from '../src/manager/redact.js';

describe('config redaction', () => {
  it('collects string leaves of 4 characters or more, keys left out', () => {
    const found = configStrings({
      language: 'en',
      token: 'abcd1234',
      nested: [{ pw: 'hunter2' }, 5, true],
      long_key_name: 1,
    });
    assert.deepEqual([...found].sort(), ['abcd1234', 'hunter2']);
  });

  it('reads resolved bytes as JSON, or whole when they are not JSON', () => {
    const out = new Set<string>();
    resolvedConfigStrings(Buffer.from('{"apiKey":"k-123456"}'), out);
    resolvedConfigStrings(Buffer.from('not json at all'), out);
    resolvedConfigStrings(undefined, out);
    assert.ok(out.has('k-123456'));
    assert.ok(out.has('{"apiKey":"k-123456"}'), 'the raw text too: plugins quote it whole');
    assert.ok(out.has('not json at all'));
  });

  it('replaces every occurrence, longest first', () => {
    const text = 'invalid config: {"a":"secret-1"}, err: bad secret-1';
    assert.equal(
      redact(text, ['secret-1', '{"a":"secret-1"}']),
      'invalid config: [redacted], err: bad [redacted]',
    );
    assert.equal(redact('nothing here', ['secret-1']), 'nothing here');
  });
});
