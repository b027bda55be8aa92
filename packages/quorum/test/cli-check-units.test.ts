/**
 * The pure parts of `qplugin check`: how a point sums up its findings, the
 * stderr log classification (point 10), what counts as loopback, and the
 * certificate rules (point 3) on go-plugin's own profile.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { generateCertificate } from '@qplugin/go-plugin/protocol';

import { checkCertificate } from '../src/cli/check/certificate.js';
import { hostKind } from '../src/cli/check/listen-address.js';
import { shortCommand } from '../src/cli/check/orphans.js';
import { Point } from '../src/cli/check/points.js';
import { formatReport } from '../src/cli/check/report.js';
import { checkStderrLog } from '../src/cli/check/stderr-log.js';

describe('qplugin check: building blocks', () => {
  it('a point takes the worst finding, shows the problems and their fixes', () => {
    const p = new Point('handshake').pass('fine').warn('w', 'fix w').fail('f', 'fix f').warn('w2', 'fix w');
    const r = p.result();
    assert.equal(r.status, 'fail');
    assert.equal(r.number, 2);
    assert.equal(r.detail, 'w; f; w2');
    assert.equal(r.fix, 'fix w fix f');
    assert.deepEqual(new Point('orphans').pass('ok').result().fix, '');
    assert.equal(new Point('init').skip('why').result().status, 'skip');
    assert.equal(new Point('init').skip('why').result().detail, 'why');
  });

  it('stderr: hclog JSON, [LEVEL] text, plain text; odd JSON warns', () => {
    const good = '{"@level":"info","@message":"hi","@timestamp":"2024-05-01T10:00:00.123456Z"}';
    const pass = checkStderrLog([good, '[WARN] careful', 'plain', '', '{"a":1}']).result();
    assert.equal(pass.status, 'pass');
    assert.equal(
      pass.detail,
      '4 line(s): 1 hclog JSON, 1 JSON without a level (logged raw at DEBUG), 1 [LEVEL]-prefixed, 1 plain text (logged at DEBUG)',
    );
    const jsTime = '{"@level":"info","@message":"hi","@timestamp":"2024-05-01T10:00:00.123Z"}';
    const nonString = '{"@level":"info","@message":5}';
    const warn = checkStderrLog([good, jsTime, nonString]).result();
    assert.equal(warn.status, 'warn');
    assert.match(warn.detail, /1 JSON line\(s\) with a non-string @message in .*: go-plugin hosts crash/);
    assert.match(warn.detail, /@timestamp "2024-05-01T10:00:00\.123Z" not in hclog's format/);
    assert.match(warn.fix, /six fractional digits/);
    assert.equal(checkStderrLog([]).result().detail, 'nothing on stderr');
  });

  it('orphans: a leftover is shown by program name and arguments, without the directory', () => {
    assert.equal(
      shortCommand('/opt/tools/node-v24.22.3/bin/node -e /* marker */ setTimeout(() => {}, 60000)'),
      'node -e /* marker */ setTimeout(() => {}, 60000)',
    );
    assert.equal(shortCommand('/usr/local/bin/plugin'), 'plugin');
    assert.equal(shortCommand('sleep 100'), 'sleep 100');
  });

  it('loopback, wildcard and other hosts', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3'])
      assert.equal(hostKind(h), 'loopback', h);
    for (const h of ['0.0.0.0', '::', '[::]']) assert.equal(hostKind(h), 'wildcard', h);
    assert.equal(hostKind(''), 'unspecified');
    assert.equal(hostKind('192.168.1.2'), 'other');
  });

  it("certificate: go-plugin's profile passes; expired or not yet valid fails", async () => {
    const cert = await generateCertificate({ curve: 'P-256' });
    const ok = checkCertificate(cert.der).result();
    assert.equal(ok.status, 'pass', ok.detail);
    assert.match(
      ok.detail,
      /SAN DNS:localhost, EKU serverAuth\+clientAuth, valid until \d{4}-\d\d-\d\d, ECDSA P-256/,
    );
    const past = checkCertificate(cert.der, new Date('2200-01-01')).result();
    assert.equal(past.status, 'fail');
    assert.match(past.detail, /^expired on /);
    const early = checkCertificate(cert.der, new Date('2000-01-01')).result();
    assert.match(early.detail, /^not valid before .* \(in the future\)/);
    assert.equal(checkCertificate(undefined).result().status, 'skip');
  });

  it('the text report: marks, numbers, fixes only for what did not pass', () => {
    const points = [
      new Point('cookie').pass('exit status 1').result(),
      new Point('stdio').warn('not implemented', 'Implement it.').result(),
      new Point('health').fail('Unimplemented', 'Register it.').result(),
    ];
    const text = formatReport('qplugin check x', points, false);
    assert.match(text, /^✔ PASS {2}1 cookie {2}refuses to run without the magic cookie: exit status 1$/m);
    assert.match(
      text,
      /^⚠ WARN {2}7 stdio {3}GRPCStdio\.StreamStdio: not implemented\n {18}fix: Implement it\.$/m,
    );
    assert.match(text, /^✖ FAIL {2}5 health/m);
    assert.match(text, /FAILED: 1 passed, 1 warning\(s\), 1 failed, 0 skipped$/);
    assert.doesNotMatch(formatReport('t', points.slice(0, 1), false), /fix:/);
    assert.ok(formatReport('t', points, true).includes('\u001b[31m✖ FAIL\u001b[0m'));
  });
});
