/** The certificate rules on go-plugin's own profile and on broken variants (made by openssl). */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { generateCertificate } from '@qplugin/go-plugin/internal';

import { checkCertificate } from '../../src/plugin-check/certificate.js';

const noOpenssl = spawnSync('openssl', ['version']).status === 0 ? false : 'skipped: openssl is not on PATH';
const scratch = mkdtempSync(join(tmpdir(), 'qp-cert-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A self-signed certificate made by openssl with the given key and extensions. */
function opensslCert(name: string, keyArgs: string[], extensions: string[], days = 2): Buffer {
  const [key, cert, config] = [
    join(scratch, `${name}.key`),
    join(scratch, `${name}.pem`),
    join(scratch, `${name}.cnf`),
  ];
  writeFileSync(
    config,
    ['[req]', 'distinguished_name=dn', 'x509_extensions=v3', '[dn]', '[v3]', ...extensions].join('\n') + '\n',
  );
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', ...keyArgs, '-nodes', '-subj', '/CN=localhost', '-days', String(days)].concat(
      ['-keyout', key, '-out', cert, '-config', config],
    ),
    { stdio: 'ignore' },
  );
  return new X509Certificate(readFileSync(cert)).raw;
}

describe('plugin check: server certificate', () => {
  it("go-plugin's profile passes; expired or not yet valid fails", async () => {
    const cert = await generateCertificate({ curve: 'P-256' });
    const ok = checkCertificate(cert.der).result(3);
    assert.equal(ok.status, 'pass', ok.detail);
    assert.match(
      ok.detail,
      /SAN DNS:localhost, EKU serverAuth\+clientAuth, valid until \d{4}-\d\d-\d\d, ECDSA P-256/,
    );
    assert.deepEqual(ok.rules, ['TLS-1']);
    const past = checkCertificate(cert.der, new Date('2200-01-01')).result(3);
    assert.equal(past.status, 'fail');
    assert.match(past.detail, /^expired on /);
    const early = checkCertificate(cert.der, new Date('2000-01-01')).result(3);
    assert.match(early.detail, /^not valid before .* \(in the future\)/);
    assert.equal(checkCertificate(undefined).result(3).status, 'skip');
    assert.equal(checkCertificate(undefined, new Date(), 'no TLS').result(3).detail, 'no TLS');
  });

  it('a certificate that expires within a day warns', async () => {
    const cert = await generateCertificate({ curve: 'P-256' });
    const report = checkCertificate(cert.der, new Date(Date.now() + 262_980 * 3600_000 - 3600_000)).result(3);
    assert.equal(report.status, 'warn');
    assert.match(report.detail, /expires within a day/);
  });

  it('CN only, a foreign SAN, no serverAuth, no clientAuth, weak RSA', { skip: noOpenssl }, () => {
    const cnOnly = checkCertificate(
      opensslCert('cn', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], ['basicConstraints=CA:TRUE']),
    ).result(3);
    assert.match(cnOnly.detail, /CN=localhost but no subjectAltName: Go >= 1\.15 ignores the CN/);

    const foreign = checkCertificate(
      opensslCert(
        'san',
        ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
        ['subjectAltName=DNS:example.com'],
      ),
    ).result(3);
    assert.match(foreign.detail, /no DNS:localhost in the subjectAltName \(DNS:example\.com\)/);

    const clientOnly = checkCertificate(
      opensslCert(
        'eku',
        ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
        ['subjectAltName=DNS:localhost', 'extendedKeyUsage=clientAuth'],
      ),
    ).result(3);
    assert.equal(clientOnly.status, 'fail');
    assert.match(clientOnly.detail, /lacks serverAuth: Go hosts refuse it/);

    const serverOnly = checkCertificate(
      opensslCert(
        'eku2',
        ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
        ['subjectAltName=DNS:localhost', 'extendedKeyUsage=serverAuth'],
      ),
    ).result(3);
    assert.equal(serverOnly.status, 'warn');
    assert.match(serverOnly.detail, /lacks clientAuth/);
    assert.deepEqual(serverOnly.rules, ['TLS-7']);

    const weak = checkCertificate(opensslCert('rsa', ['rsa:1024'], ['subjectAltName=DNS:localhost'])).result(
      3,
    );
    assert.equal(weak.status, 'warn');
    assert.match(weak.detail, /RSA key of 1024 bits is weak/);
  });
});
