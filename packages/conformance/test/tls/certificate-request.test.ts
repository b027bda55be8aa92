/**
 * Reading a server's CertificateRequest from the wire: real node:tls servers
 * configured with the signature schemes of a BoringSSL stack (no P-521), of
 * OpenSSL's defaults, in TLS 1.3 (decrypted with the client's key log) and in
 * TLS 1.2 (plaintext), and one that asks for no certificate at all.
 */
import assert from 'node:assert/strict';
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';

import { generateCertificate } from '@qplugin/go-plugin/internal';
import type { AutoMtlsCertificate } from '@qplugin/go-plugin/internal';

import { probe } from '../../src/plugin-check/mtls.js';
import {
  GO_PLUGIN_SCHEME,
  readCertificateRequest,
  schemeName,
  serverHandshakeSecret,
} from '../../src/tls/certificate-request.js';

/** What BoringSSL (gRPC C-core) asks for: no ecdsa_secp521r1_sha512. */
const BORINGSSL_LIKE = 'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:rsa_pkcs1_sha256:ecdsa_secp384r1_sha384';

const servers: Http2SecureServer[] = [];
after(() => servers.forEach((s) => s.close()));

async function server(
  own: AutoMtlsCertificate,
  client: AutoMtlsCertificate,
  extra: { sigalgs?: string; maxVersion?: 'TLSv1.2'; requestCert?: boolean },
): Promise<{ network: 'tcp'; address: string }> {
  const s = createSecureServer({
    cert: own.pem,
    key: own.privateKeyPem,
    ca: client.pem,
    requestCert: extra.requestCert ?? true,
    rejectUnauthorized: extra.requestCert ?? true,
    ALPNProtocols: ['h2'],
    ...(extra.sigalgs ? { sigalgs: extra.sigalgs } : {}),
    ...(extra.maxVersion ? { maxVersion: extra.maxVersion } : {}),
  });
  s.on('sessionError', () => {});
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { network: 'tcp', address: `127.0.0.1:${(s.address() as AddressInfo).port}` };
}

describe('TLS CertificateRequest', () => {
  it('TLS 1.3, BoringSSL-like schemes: the P-521 client is refused and the missing scheme shows', async () => {
    const own = await generateCertificate({ curve: 'P-256' });
    const host = await generateCertificate({ curve: 'P-521' });
    const addr = await server(own, host, { sigalgs: BORINGSSL_LIKE });
    const r = await probe(addr, { cert: host, record: true });
    assert.equal(r.accepted, false);
    assert.deepEqual(r.request, {
      tlsVersion: 'TLSv1.3',
      requested: true,
      schemes: [
        'ecdsa_secp256r1_sha256',
        'rsa_pss_rsae_sha256',
        'rsa_pkcs1_sha256',
        'ecdsa_secp384r1_sha384',
      ],
    });
    assert.ok(!r.request.schemes.includes(GO_PLUGIN_SCHEME));
  });

  it('TLS 1.3, OpenSSL defaults: P-521 offered and the client gets in', async () => {
    const own = await generateCertificate({ curve: 'P-521' });
    const host = await generateCertificate({ curve: 'P-521' });
    const addr = await server(own, host, {});
    const r = await probe(addr, { cert: host, record: true });
    assert.equal(r.accepted, true, r.error);
    assert.equal(r.request?.tlsVersion, 'TLSv1.3');
    assert.ok(r.request?.schemes.includes(GO_PLUGIN_SCHEME), r.request?.schemes.join());
  });

  it('TLS 1.2: read from the plaintext handshake', async () => {
    const own = await generateCertificate({ curve: 'P-256' });
    const host = await generateCertificate({ curve: 'P-521' });
    const addr = await server(own, host, { sigalgs: BORINGSSL_LIKE, maxVersion: 'TLSv1.2' });
    const r = await probe(addr, { cert: host, record: true });
    assert.equal(r.request?.tlsVersion, 'TLSv1.2');
    assert.equal(r.request?.requested, true);
    assert.deepEqual(r.request?.schemes.slice(0, 2), ['ecdsa_secp256r1_sha256', 'rsa_pss_rsae_sha256']);
  });

  it('a server that asks for no client certificate', async () => {
    const own = await generateCertificate({ curve: 'P-256' });
    const host = await generateCertificate({ curve: 'P-521' });
    const addr = await server(own, host, { requestCert: false });
    const r = await probe(addr, { cert: host, record: true });
    assert.equal(r.accepted, true);
    assert.deepEqual(r.request, { tlsVersion: 'TLSv1.3', requested: false, schemes: [] });
  });

  it('undecidable input: nothing, a cut record, TLS 1.3 without the secret', () => {
    assert.equal(readCertificateRequest(Buffer.alloc(0), undefined), undefined);
    assert.equal(readCertificateRequest(Buffer.from([22, 3, 3, 0, 200, 2]), undefined), undefined);
    // A TLS 1.3 ServerHello (supported_versions = 0x0304) and nothing to decrypt with.
    const hello = Buffer.concat([
      Buffer.from([3, 3]),
      Buffer.alloc(32, 1),
      Buffer.from([0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]),
    ]);
    const msg = Buffer.concat([Buffer.from([2, 0, 0, hello.length]), hello]);
    const rec = Buffer.concat([Buffer.from([22, 3, 3, 0, msg.length]), msg]);
    assert.equal(readCertificateRequest(rec, undefined), undefined);
  });

  it('scheme names and key log lines', () => {
    assert.equal(schemeName(0x0603), 'ecdsa_secp521r1_sha512');
    assert.equal(schemeName(0x0807), 'ed25519');
    assert.equal(schemeName(0xfe01), '0xfe01');
    assert.deepEqual(
      serverHandshakeSecret(Buffer.from('SERVER_HANDSHAKE_TRAFFIC_SECRET 00ff aabb\n')),
      Buffer.from('aabb', 'hex'),
    );
    assert.equal(serverHandshakeSecret('CLIENT_HANDSHAKE_TRAFFIC_SECRET 00ff aabb'), undefined);
  });
});
