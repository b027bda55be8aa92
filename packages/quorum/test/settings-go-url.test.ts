/**
 * The Go url.Parse subset: which strings Go accepts decides whether a config
 * string is a file/env reference or passed as-is, so acceptance must match.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GoUrlError, goFilePath, goQueryGet, parseGoUrl } from '../src/settings/go-url.js';

describe('parseGoUrl', () => {
  it('splits scheme, host, path and query like Go', () => {
    assert.deepEqual(parseGoUrl('FILE://./build/bin/a.json'), {
      scheme: 'file',
      opaque: '',
      host: '.',
      path: '/build/bin/a.json',
      rawQuery: '',
      fragment: '',
    });
    const env = parseGoUrl('env://KEY1?type=file#frag');
    assert.equal(env.host, 'KEY1');
    assert.equal(env.rawQuery, 'type=file');
    assert.equal(env.fragment, 'frag');
    assert.equal(parseGoUrl('file:relative').opaque, 'relative');
    assert.equal(parseGoUrl('arbitrary value1').scheme, '');
    assert.equal(parseGoUrl('http://user:p%40ss@host:8080/p').host, 'host:8080');
  });

  const failures: [string, string][] = [
    ['{"language":"en"}', 'first path segment in URL cannot contain colon'],
    ['://arbitrary non uri', 'missing protocol scheme'],
    ['file://bad host/x', 'invalid character " " in host name'],
    ['file://host:port/x', 'invalid port ":port" after host'],
    ['file://[::1/x', "missing ']' in host"],
    ['file://x/%zz', 'invalid URL escape "%zz"'],
    ['file://%41/x', 'invalid URL escape "%41"'],
    ['a\nb', 'net/url: invalid control character in URL'],
    ['http://us"er@host', 'net/url: invalid userinfo'],
  ];
  for (const [raw, reason] of failures) {
    it(`rejects ${JSON.stringify(raw)}: ${reason}`, () => {
      assert.throws(
        () => parseGoUrl(raw),
        (err: unknown) =>
          err instanceof GoUrlError && err.reason === reason && err.message.endsWith(`: ${reason}`),
      );
    });
  }

  it('quotes the URL in the message as Go does', () => {
    assert.throws(() => parseGoUrl('file://x/%zz'), {
      message: 'parse "file://x/%zz": invalid URL escape "%zz"',
    });
  });
});

describe('goFilePath (filepath.Join(host, path))', () => {
  const cases: [string, string][] = [
    ['file:///opt/a.json', '/opt/a.json'],
    ['file://./build/bin/a.json', 'build/bin/a.json'],
    ['file://relative/a.json', 'relative/a.json'],
    ['file://doesnotexist', 'doesnotexist'],
    ['file://./x/../y/', 'y'],
    ['file://', ''],
  ];
  for (const [raw, expected] of cases) {
    it(`${raw} → ${JSON.stringify(expected)}`, () => {
      assert.equal(goFilePath(parseGoUrl(raw)), expected);
    });
  }
});

describe('goQueryGet', () => {
  it('returns the first value, unescaped, and skips malformed pairs', () => {
    assert.equal(goQueryGet('type=file', 'type'), 'file');
    assert.equal(goQueryGet('a=1&type=fi%6Ce&type=x', 'type'), 'file');
    assert.equal(goQueryGet('type=%zz&type=file', 'type'), 'file');
    assert.equal(goQueryGet('type=file;x=1', 'type'), '');
    assert.equal(goQueryGet('', 'type'), '');
  });
});
