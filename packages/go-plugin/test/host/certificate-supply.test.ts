/**
 * The host's certificates made ahead: every start still gets a certificate
 * and key no other start had, of the curve it asked for, valid now.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';

import {
  hasCertificateAhead,
  hostCertificate,
  makeCertificateAhead,
} from '../../src/host/certificate-supply.js';
import type { CertificateCurve } from '../../src/protocol/certificate.js';
import { GoPluginError } from '../../src/protocol/errors.js';

describe('host certificates made ahead', () => {
  it('a start takes the certificate made ahead; each start gets a new key and serial', async () => {
    assert.equal(hasCertificateAhead('P-384'), false);
    const certs = [await hostCertificate('P-384')];
    assert.equal(hasCertificateAhead('P-384'), false, 'made ahead before any start was done');
    for (let i = 0; i < 4; i++) {
      makeCertificateAhead('P-384'); // what a client does once its start is done
      makeCertificateAhead('P-384'); // and again from a second client: still one made ahead
      assert.equal(hasCertificateAhead('P-384'), true);
      certs.push(await hostCertificate('P-384'));
      assert.equal(hasCertificateAhead('P-384'), false, 'the one made ahead was not taken');
    }
    const serials = new Set(certs.map((c) => new X509Certificate(c.der).serialNumber));
    const keys = new Set(certs.map((c) => c.privateKeyPem));
    assert.equal(serials.size, 5, 'a serial was handed out twice');
    assert.equal(keys.size, 5, 'a key was handed out twice');
    for (const c of certs) {
      const x = new X509Certificate(c.der);
      assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
      assert.ok(x.checkPrivateKey(c.privateKey), 'the certificate does not match its key');
      assert.ok(new Date(x.validFrom).getTime() <= Date.now(), 'not valid yet');
    }
  });

  it('concurrent starts each get their own', async () => {
    const certs = await Promise.all(Array.from({ length: 8 }, () => hostCertificate('P-256')));
    assert.equal(new Set(certs.map((c) => c.privateKeyPem)).size, 8);
    assert.equal(new Set(certs.map((c) => new X509Certificate(c.der).serialNumber)).size, 8);
  });

  it('a certificate that cannot be made fails the start with its error, made ahead or not', async () => {
    const curve = 'P-224' as CertificateCurve;
    makeCertificateAhead(curve);
    await assert.rejects(hostCertificate(curve), (err: unknown) => {
      assert.ok(err instanceof GoPluginError);
      assert.equal(err.code, 'INVALID_OPTIONS');
      return true;
    });
    await assert.rejects(hostCertificate(curve), (err: unknown) => {
      assert.ok(err instanceof GoPluginError);
      assert.equal(err.code, 'INVALID_OPTIONS');
      assert.match(err.message, /unsupported certificate curve P-224/);
      return true;
    });
    assert.equal(hasCertificateAhead(curve), false);
  });
});
