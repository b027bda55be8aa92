import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, X509Certificate } from 'node:crypto';
import { after, describe, it } from 'node:test';

import {
  CERT_BACKDATE_MS,
  CERT_LIFETIME_MS,
  CURVES,
  FIXED_DER,
  generateCertificate,
  inspectCertificate,
  OID,
  parseCertificate,
} from '../src/protocol/certificate.js';
import * as der from '../src/protocol/der.js';
import { GoPluginError } from '../src/protocol/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'qp-cert-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8' });
}

describe("AutoMTLS certificate (go-plugin's profile)", () => {
  const now = new Date('2026-06-01T12:00:00.000Z');
  // go-plugin's own curve, to compare with the certificates Go makes.
  const certPromise = generateCertificate({ now, curve: 'P-521' });

  it('has the fields go-plugin puts in its certificate', async () => {
    const cert = await certPromise;
    const x = new X509Certificate(cert.der);
    assert.equal(x.subject, 'O=HashiCorp\nCN=localhost');
    assert.equal(x.issuer, x.subject);
    assert.equal(x.subjectAltName, 'DNS:localhost');
    assert.equal(x.ca, true);
    assert.deepEqual([...(x.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'secp521r1');
    assert.equal(new Date(x.validFrom).getTime(), now.getTime() - CERT_BACKDATE_MS);
    assert.equal(new Date(x.validTo).getTime(), now.getTime() + CERT_LIFETIME_MS);
    assert.ok(x.verify(x.publicKey), 'self-signed');
    assert.equal(x.checkHost('localhost'), 'localhost');
    assert.ok(cert.der.length >= 590 && cert.der.length <= 600, `DER ${cert.der.length} bytes, Go's is ~595`);
  });

  it('encodes extensions as Go does (critical flags, key usage bits, no IP SAN)', async () => {
    const cert = await certPromise;
    const file = join(dir, 'c.pem');
    writeFileSync(file, cert.pem);
    const text = openssl(['x509', '-in', file, '-noout', '-text']);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA512/);
    assert.match(
      text,
      /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment, Key Agreement, Certificate Sign/,
    );
    assert.match(
      text,
      /X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication, TLS Web Server Authentication/,
    );
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    assert.match(text, /X509v3 Subject Key Identifier/);
    assert.doesNotMatch(text, /Authority Key Identifier|IP Address/);
    // UTCTime before 2050, GeneralizedTime after (the 30-year notAfter), as RFC 5280 and Go require.
    const asn1 = openssl(['asn1parse', '-in', file]);
    assert.match(asn1, /UTCTIME\s+:260601115930Z/);
    assert.match(asn1, /GENERALIZEDTIME\s+:20560601000000Z/);
  });

  it('passes OpenSSL verification for both TLS roles', async () => {
    const cert = await generateCertificate();
    const file = join(dir, 'v.pem');
    writeFileSync(file, cert.pem);
    for (const purpose of ['sslserver', 'sslclient']) {
      assert.match(openssl(['verify', '-CAfile', file, '-purpose', purpose, file]), /: OK/);
    }
  });

  it('uses a fresh 128-bit serial and key each time', async () => {
    const [a, b] = await Promise.all([generateCertificate(), generateCertificate()]);
    const xa = new X509Certificate(a.der);
    const xb = new X509Certificate(b.der);
    assert.notEqual(xa.serialNumber, xb.serialNumber);
    assert.ok(xa.serialNumber.replace(/^0+/, '').length <= 32);
    assert.notEqual(a.privateKeyPem, b.privateKeyPem);
    assert.equal(a.privateKey.type, 'private');
  });

  it('writes its fixed parts as der.ts builds them from the profile', () => {
    const extension = (oid: string, critical: boolean, value: Buffer): Buffer =>
      critical
        ? der.sequence(der.objectIdentifier(oid), der.booleanTrue(), der.octetString(value))
        : der.sequence(der.objectIdentifier(oid), der.octetString(value));
    const rdn = (oid: string, value: string): Buffer =>
      der.set(der.sequence(der.objectIdentifier(oid), der.printableString(value)));
    const built: Record<keyof typeof FIXED_DER, Buffer> = {
      version: der.explicit(0, der.smallInteger(2)),
      name: der.sequence(rdn(OID.organization, 'HashiCorp'), rdn(OID.commonName, 'localhost')),
      // 1010 1100: digitalSignature, keyEncipherment, keyAgreement, keyCertSign; 2 unused bits.
      keyUsage: extension(OID.keyUsage, true, der.bitString(Buffer.from([0xac]), 2)),
      extKeyUsage: extension(
        OID.extKeyUsage,
        false,
        der.sequence(der.objectIdentifier(OID.clientAuth), der.objectIdentifier(OID.serverAuth)),
      ),
      basicConstraints: extension(OID.basicConstraints, true, der.sequence(der.booleanTrue())),
      // The extension with a zero key id, less those 20 bytes.
      subjectKeyIdHead: extension(OID.subjectKeyId, false, der.octetString(Buffer.alloc(20))).subarray(
        0,
        -20,
      ),
      subjectAltName: extension(
        OID.subjectAltName,
        false,
        der.sequence(der.implicitPrimitive(2, Buffer.from('localhost', 'latin1'))),
      ),
    };
    for (const [part, bytes] of Object.entries(built)) {
      assert.equal(FIXED_DER[part as keyof typeof FIXED_DER], bytes.toString('hex'), part);
    }
    for (const [curve, c] of Object.entries(CURVES)) {
      assert.equal(c.sigAlg, der.sequence(der.objectIdentifier(c.sigOid)).toString('hex'), curve);
    }
  });

  it('carries a subject key id of SHA-256 over the public key, cut to 160 bits (as Go)', async () => {
    for (const curve of ['P-256', 'P-521'] as const) {
      const cert = await generateCertificate({ curve });
      const spki = new X509Certificate(cert.der).publicKey.export({ type: 'spki', format: 'der' });
      // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }: the bits after the unused-bits byte.
      const [, bits] = der.children(spki, der.readElement(spki, 0));
      const keyId = createHash('sha256')
        .update(spki.subarray(bits!.start + 1, bits!.end))
        .digest()
        .subarray(0, 20);
      const file = join(dir, `ski-${curve}.pem`);
      writeFileSync(file, cert.pem);
      const text = openssl(['x509', '-in', file, '-noout', '-ext', 'subjectKeyIdentifier']);
      const shown = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text)?.[1]?.replaceAll(':', '');
      assert.equal(shown?.toLowerCase(), keyId.toString('hex'), curve);
    }
  });

  it('defaults to P-256 and signs each curve with the hash of its size, as Go does', async () => {
    const expected = [
      [undefined, 'prime256v1', 'SHA256'],
      ['P-384', 'secp384r1', 'SHA384'],
      ['P-521', 'secp521r1', 'SHA512'],
    ] as const;
    for (const [curve, name, hash] of expected) {
      const cert = await generateCertificate(curve ? { curve } : {});
      const x = new X509Certificate(cert.der);
      assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, name);
      assert.ok(x.verify(x.publicKey));
      const file = join(dir, `curve-${name}.pem`);
      writeFileSync(file, cert.pem);
      const text = openssl(['x509', '-in', file, '-noout', '-text']);
      assert.match(text, new RegExp(`Signature Algorithm: ecdsa-with-${hash}`));
    }
  });

  it('reports what a host checks in a peer certificate', async () => {
    const good = inspectCertificate(parseCertificate((await certPromise).pem, 'test'), now);
    assert.deepEqual(
      { ...good, validFrom: undefined, validTo: undefined },
      {
        sanLocalhost: true,
        serverAuth: true,
        clientAuth: true,
        isCa: true,
        validNow: true,
        validFrom: undefined,
        validTo: undefined,
      },
    );
    const key = join(dir, 'k.pem');
    const cnOnly = join(dir, 'cn.pem');
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cnOnly,
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-addext',
      'extendedKeyUsage=clientAuth',
    ]);
    const bad = inspectCertificate(parseCertificate(execFileSync('cat', [cnOnly]), 'cn-only'));
    assert.equal(bad.sanLocalhost, false);
    assert.equal(bad.serverAuth, false);
  });

  it('names the input when a certificate does not parse', () => {
    assert.throws(
      () => parseCertificate('not a pem', 'PLUGIN_CLIENT_CERT'),
      (err: unknown) => {
        assert.ok(err instanceof GoPluginError);
        assert.equal(err.code, 'TLS_CERT');
        assert.match(err.message, /^PLUGIN_CLIENT_CERT is not a valid X.509 certificate/);
        return true;
      },
    );
  });
});
