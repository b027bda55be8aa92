import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { generateCertificate } from '../src/protocol/certificate.js';
import { encodeRawStd } from '../src/protocol/base64raw.js';
import { formatHandshake, parseHandshake, UNRECOGNIZED_DIAGNOSIS } from '../src/protocol/handshake.js';
import type { HandshakeExpectations } from '../src/protocol/handshake.js';
import { GoPluginError } from '../src/protocol/errors.js';
import type { ErrorCode } from '../src/protocol/errors.js';

// A certificate whose DER length is not a multiple of 3, so that standard base64 pads it.
let cert = await generateCertificate({ curve: 'P-256' });
while (cert.der.length % 3 === 0) cert = await generateCertificate({ curve: 'P-256' });
const b64 = encodeRawStd(cert.der);
const expect1: HandshakeExpectations = { offeredVersions: [1] };

function fails(
  line: string,
  code: ErrorCode,
  message: string,
  expect: HandshakeExpectations = expect1,
): void {
  assert.throws(
    () => parseHandshake(line, expect),
    (err: unknown) => {
      assert.ok(err instanceof GoPluginError, `not a GoPluginError: ${String(err)}`);
      assert.equal(err.code, code);
      assert.equal(err.message, message);
      assert.ok(err.fix && err.fix.length > 10, 'every error carries a fix');
      return true;
    },
  );
}

describe('formatHandshake', () => {
  it('prints the six fields Go plugins print, the certificate unpadded', () => {
    const line = formatHandshake({
      appVersion: 1,
      network: 'unix',
      address: '/tmp/plugin1',
      certificate: cert.der,
    });
    assert.equal(line, `1|1|unix|/tmp/plugin1|grpc|${b64}`);
    assert.ok(!line.includes('='));
    assert.ok(!/\s/.test(line));
  });
  it('ends with an empty sixth field without TLS, and adds |true only for multiplexing', () => {
    assert.equal(
      formatHandshake({ appVersion: 3, network: 'tcp', address: '127.0.0.1:10000' }),
      '1|3|tcp|127.0.0.1:10000|grpc|',
    );
    assert.equal(
      formatHandshake({ appVersion: 1, network: 'unix', address: '/s', multiplex: true }),
      '1|1|unix|/s|grpc||true',
    );
  });
  it('refuses an address that would break the line', () => {
    assert.throws(
      () => formatHandshake({ appVersion: 1, network: 'unix', address: '/tmp/a|b' }),
      /contains "\|"/,
    );
    assert.throws(() => formatHandshake({ appVersion: 1, network: 'unix', address: '/tmp/a\nb' }), /newline/);
  });
  it('round-trips through the parser', () => {
    const line = formatHandshake({
      appVersion: 2,
      network: 'unix',
      address: '/tmp/p',
      certificate: cert.der,
      multiplex: true,
    });
    const parsed = parseHandshake(line + '\r\n', { offeredVersions: [1, 2], multiplexRequested: true });
    assert.equal(parsed.appVersion, 2);
    assert.equal(parsed.network, 'unix');
    assert.equal(parsed.address, '/tmp/p');
    assert.equal(parsed.protocol, 'grpc');
    assert.deepEqual(parsed.certificate, cert.der);
    assert.equal(parsed.multiplex, true);
  });
});

describe('parseHandshake accepts what go-plugin accepts', () => {
  it('takes the docs and Python example forms (5 fields, no certificate)', () => {
    const p = parseHandshake('1|1|tcp|127.0.0.1:1234|grpc', expect1);
    assert.equal(p.address, '127.0.0.1:1234');
    assert.equal(p.certificate, undefined);
  });
  it('ignores a short sixth field (older plugins put other data there)', () => {
    assert.equal(parseHandshake('1|1|unix|/tmp/x|grpc|extra', expect1).certificate, undefined);
  });
  it('accepts leading zeros and a sign in the version fields, as strconv.Atoi does', () => {
    assert.equal(parseHandshake('+01|001|unix|/x|grpc|', expect1).appVersion, 1);
  });
  it('accepts tcp addresses with empty host, name and IPv6', () => {
    for (const a of [':1234', 'localhost:1234', '[::1]:1234'])
      assert.equal(parseHandshake(`1|1|tcp|${a}|grpc|`, expect1).address, a);
  });
  it('ignores fields beyond the seventh', () => {
    assert.equal(
      parseHandshake('1|1|unix|/x|grpc||true|more', { ...expect1, multiplexRequested: true }).multiplex,
      true,
    );
  });
});

describe('parseHandshake rejects with go-plugin v1.8.0 texts', () => {
  it('bad line (garbage, banner, fewer than 4 fields)', () => {
    fails(
      'hello world',
      'HANDSHAKE_BAD_LINE',
      `Unrecognized remote plugin message: hello world\n${UNRECOGNIZED_DIAGNOSIS}`,
    );
    fails(
      '1|1|tcp',
      'HANDSHAKE_BAD_LINE',
      `Unrecognized remote plugin message: 1|1|tcp\n${UNRECOGNIZED_DIAGNOSIS}`,
    );
  });
  it('stdout closed before any line', () => {
    fails(
      '',
      'HANDSHAKE_BAD_LINE',
      `Unrecognized remote plugin message: \nFailed to read any lines from plugin's stdout\n${UNRECOGNIZED_DIAGNOSIS}notes`,
      { ...expect1, stdoutClosed: true, diagnose: 'notes' },
    );
  });
  it('core version not a number, or spaces around fields', () => {
    fails(
      'x|1|unix|/x|grpc|',
      'HANDSHAKE_CORE_VERSION',
      'error parsing core protocol version: strconv.Atoi: parsing "x": invalid syntax',
    );
    fails(
      '1 | 1 | unix | /x | grpc',
      'HANDSHAKE_CORE_VERSION',
      'error parsing core protocol version: strconv.Atoi: parsing "1 ": invalid syntax',
    );
  });
  it('core version 2', () => {
    fails(
      '2|1|unix|/x|grpc|',
      'HANDSHAKE_CORE_VERSION',
      'incompatible core API version with plugin. Plugin version: 2, Core version: 1\n\nTo fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author',
    );
  });
  it('app version not a number', () => {
    fails(
      '1|v1|unix|/x|grpc|',
      'HANDSHAKE_APP_VERSION',
      'Error parsing protocol version "v1": strconv.Atoi: parsing "v1": invalid syntax',
    );
  });
  it('app version not offered (go-plugin test fake "bad-version")', () => {
    fails(
      '1|11|tcp|:1234',
      'HANDSHAKE_APP_VERSION',
      'incompatible API version with plugin. Plugin version: 11, Client versions: [1]',
    );
    fails(
      '1|3|unix|/x|grpc|',
      'HANDSHAKE_APP_VERSION',
      'incompatible API version with plugin. Plugin version: 3, Client versions: [2 1]',
      {
        offeredVersions: [2, 1],
      },
    );
  });
  it('unknown network prints the address', () => {
    fails('1|1|udp|lolinvalid|grpc|', 'HANDSHAKE_NETWORK', 'unknown address type: lolinvalid');
  });
  it('tcp address without a port', () => {
    fails('1|1|tcp|lolinvalid|grpc|', 'HANDSHAKE_NETWORK', 'address lolinvalid: missing port in address');
  });
  // Found by comparing parseHandshake with Go's net.ResolveTCPAddr on fuzzed lines (see handshake-fuzz).
  it('tcp addresses: net.SplitHostPort and LookupPort texts', () => {
    const cases: [string, string][] = [
      ['[::1', "address [::1: missing ']' in address"],
      ['[::1]', 'address [::1]: missing port in address'],
      ['[::1]x:5', 'address [::1]x:5: missing port in address'],
      ['[::1]:5:6', 'address [::1]:5:6: too many colons in address'],
      ['::1:80', 'address ::1:80: too many colons in address'],
      ['a[b:5', "address a[b:5: unexpected '[' in address"],
      ['ab]:5', "address ab]:5: unexpected ']' in address"],
      ['127.0.0.1:65536', 'address 65536: invalid port'],
      ['127.0.0.1:-1', 'address -1: invalid port'],
      ['127.0.0.1:99999999999999999999', 'address 99999999999999999999: invalid port'],
      ['127.0.0.1:http', 'lookup tcp/http: unknown port'],
    ];
    for (const [address, message] of cases) fails(`1|1|tcp|${address}|grpc|`, 'HANDSHAKE_NETWORK', message);
  });
  it('tcp addresses Go resolves without complaint: empty, empty port, signed port', () => {
    for (const address of ['', '[::1]:', '127.0.0.1:', '127.0.0.1:+80', '127.0.0.1:-0', '[fe80::1%eth0]:1']) {
      assert.equal(parseHandshake(`1|1|tcp|${address}|grpc|`, expect1).address, address);
    }
  });
  it('trims as strings.TrimSpace: U+0085 is a space, a byte order mark is not', () => {
    assert.equal(
      parseHandshake('\u0085\u3000 1|1|unix|/x|grpc|\u00a0\u2028', expect1).line,
      '1|1|unix|/x|grpc|',
    );
    assert.throws(
      () => parseHandshake('\ufeff1|1|unix|/x|grpc|', expect1),
      (err: unknown) =>
        err instanceof GoPluginError &&
        err.code === 'HANDSHAKE_CORE_VERSION' &&
        err.details['value'] === '\ufeff1' &&
        err.message.startsWith('error parsing core protocol version: strconv.Atoi: parsing "'),
    );
  });
  it('a certificate followed by more bytes: x509: trailing data, as Go', () => {
    const trailing = encodeRawStd(Buffer.concat([cert.der, Buffer.from('extra bytes')]));
    fails(`1|1|unix|/x|grpc|${trailing}`, 'HANDSHAKE_CERT', 'error parsing server cert: x509: trailing data');
  });
  it('netrpc, explicit or by omission', () => {
    fails(
      '1|1|tcp|:1234|netrpc',
      'HANDSHAKE_PROTOCOL',
      'unsupported plugin protocol "netrpc". Supported: [grpc]',
    );
    fails('1|1|tcp|:1234', 'HANDSHAKE_PROTOCOL', 'unsupported plugin protocol "netrpc". Supported: [grpc]');
    fails('1|1|tcp|:1234|', 'HANDSHAKE_PROTOCOL', 'unsupported plugin protocol "". Supported: [grpc]');
  });
  it('padded base64 certificate', () => {
    const padded = Buffer.from(cert.der).toString('base64');
    assert.ok(padded.endsWith('='), 'fixture must need padding');
    const at = padded.indexOf('=');
    fails(
      `1|1|unix|/x|grpc|${padded}`,
      'HANDSHAKE_CERT',
      `error parsing server cert: illegal base64 data at input byte ${at}`,
    );
  });
  it('URL-safe alphabet and garbage characters', () => {
    const urlSafe = b64.replace(/\+/g, '-').replace(/\//g, '_');
    const first = [...urlSafe].findIndex((c) => c === '-' || c === '_');
    assert.ok(first >= 0);
    fails(
      `1|1|unix|/x|grpc|${urlSafe}`,
      'HANDSHAKE_CERT',
      `error parsing server cert: illegal base64 data at input byte ${first}`,
    );
    fails(
      `1|1|unix|/x|grpc|${'A'.repeat(60)}!`,
      'HANDSHAKE_CERT',
      'error parsing server cert: illegal base64 data at input byte 60',
    );
  });
  it('base64 that is not a certificate', () => {
    assert.throws(
      () => parseHandshake(`1|1|unix|/x|grpc|${'A'.repeat(64)}`, expect1),
      (err: unknown) => {
        assert.ok(err instanceof GoPluginError);
        assert.equal(err.code, 'HANDSHAKE_CERT');
        assert.match(err.message, /^error parsing server cert: /);
        return true;
      },
    );
  });
  it('multiplexing requested from a plugin that does not support it', () => {
    const mux = { ...expect1, multiplexRequested: true };
    fails(
      '1|1|tcp|:1234|grpc|',
      'HANDSHAKE_MUX',
      'client requested gRPC broker multiplexing but plugin does not support the feature; for Go plugins, you will need to update the github.com/hashicorp/go-plugin dependency and recompile',
      mux,
    );
    fails(
      '1|1|tcp|:1234|grpc||false',
      'HANDSHAKE_MUX',
      'client requested gRPC broker multiplexing but plugin does not support the feature',
      mux,
    );
    fails(
      '1|1|tcp|:1234|grpc||maybe',
      'HANDSHAKE_MUX',
      'error parsing "maybe" as a boolean for gRPC broker multiplexing support',
      mux,
    );
  });
  it('checks in go-plugin order: the first failure wins', () => {
    fails(
      '2|9|udp|x|netrpc|!!',
      'HANDSHAKE_CORE_VERSION',
      'incompatible core API version with plugin. Plugin version: 2, Core version: 1\n\nTo fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author',
    );
    fails(
      '1|9|udp|x|netrpc|!!',
      'HANDSHAKE_APP_VERSION',
      'incompatible API version with plugin. Plugin version: 9, Client versions: [1]',
    );
  });
});
