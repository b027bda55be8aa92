/** The text report: marks, numbers, rule ids, fixes only for what did not pass. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Point } from '../src/points.js';
import { formatReport, summarize } from '../src/report.js';

describe('report', () => {
  const points = [
    new Point('cookie', 'refuses to run without the magic cookie').pass('CK-1', 'exit status 1').result(1),
    new Point('stdio', 'GRPCStdio.StreamStdio').warn('SVC-3', 'not implemented', 'Implement it.').result(7),
    new Point('health', 'grpc.health.v1 "plugin" is SERVING')
      .fail('SVC-1', 'Unimplemented', 'Register it.')
      .result(5),
    new Point('init', 'PluginInitializer.Init').skip('no connection').result(6),
  ];

  it('one line per point with the cited rule, then the fix', () => {
    const text = formatReport('qplugin check x', points, false);
    assert.match(
      text,
      /^✔ PASS {2}1 cookie {2}refuses to run without the magic cookie: exit status 1 \[CK-1\]$/m,
    );
    assert.match(
      text,
      /^⚠ WARN {2}7 stdio {3}GRPCStdio\.StreamStdio: not implemented \[SVC-3\]\n {18}fix: Implement it\.$/m,
    );
    assert.match(
      text,
      /^✖ FAIL {2}5 health {2}grpc\.health\.v1 "plugin" is SERVING: Unimplemented \[SVC-1\]/m,
    );
    assert.match(text, /^- SKIP {2}6 init {4}PluginInitializer\.Init: no connection$/m);
    assert.match(text, /FAILED: 1 passed, 1 warning\(s\), 1 failed, 1 skipped$/);
  });

  it('no fix lines when all passed; colours only on a TTY', () => {
    assert.doesNotMatch(formatReport('t', points.slice(0, 1), false), /fix:/);
    assert.match(formatReport('t', points.slice(0, 1), false), /\nOK: 1 passed/);
    assert.ok(formatReport('t', points, true).includes('\u001b[31m✖ FAIL\u001b[0m'));
    assert.ok(!formatReport('t', points, false).includes('\u001b['));
  });

  it('long details wrap under the text column', () => {
    const long = new Point('handshake', 'handshake line')
      .fail('HS-1', 'word '.repeat(40).trim(), 'Fix.')
      .result(2);
    const lines = formatReport('t', [long], false, 60).split('\n');
    assert.ok(
      lines.every((l) => l.length <= 60 + 12),
      lines.join('\n'),
    );
    assert.ok(lines.filter((l) => l.startsWith(' '.repeat(21))).length >= 3);
  });

  it('summarize counts each status', () => {
    assert.deepEqual(summarize(points), { pass: 1, warn: 1, fail: 1, skip: 1 });
  });
});
