/** What go-plugin hosts make of a plugin's stderr lines. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkStderrLog } from '../../src/plugin-check/stderr-log.js';

describe('plugin check: stderr log format', () => {
  it('hclog JSON, [LEVEL] text, plain text', () => {
    const good = '{"@level":"info","@message":"hi","@timestamp":"2024-05-01T10:00:00.123456Z"}';
    const pass = checkStderrLog([good, '[WARN] careful', 'plain', '', '{"a":1}']).result(1);
    assert.equal(pass.status, 'pass');
    assert.equal(
      pass.detail,
      '4 line(s): 1 hclog JSON, 1 JSON without a level (logged raw at DEBUG), 1 [LEVEL]-prefixed, 1 plain text (logged at DEBUG)',
    );
    assert.deepEqual(pass.rules, ['LOG-1']);
    assert.equal(checkStderrLog([]).result(1).detail, 'nothing on stderr');
  });

  it('non-string fields crash Go hosts; JS timestamps and long lines degrade to text', () => {
    const good = '{"@level":"info","@message":"hi","@timestamp":"2024-05-01T10:00:00.123456Z"}';
    const jsTime = '{"@level":"info","@message":"hi","@timestamp":"2024-05-01T10:00:00.123Z"}';
    const nonString = '{"@level":"info","@message":5}';
    const warn = checkStderrLog([good, jsTime, nonString, 'x'.repeat(70_000)]).result(1);
    assert.equal(warn.status, 'warn');
    assert.match(warn.detail, /1 JSON line\(s\) with a non-string @message in .*: go-plugin hosts crash/);
    assert.match(warn.detail, /@timestamp "2024-05-01T10:00:00\.123Z" not in hclog's format/);
    assert.match(warn.detail, /1 line\(s\) over 64 KiB: go-plugin splits them/);
    assert.match(warn.fix, /six fractional digits/);
    assert.match(warn.fix, /Keep log lines under 64 KiB/);
  });
});
