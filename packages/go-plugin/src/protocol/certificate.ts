/**
 * AutoMTLS certificates with go-plugin's profile: a self-signed CA
 * certificate for `localhost` that each side uses for both its server and its
 * client role. Encoded here over node:crypto (an X.509 library costs
 * 110-200 ms of plugin start-up). The private key never leaves memory.
 */
import { createHash, generateKeyPair, randomBytes, sign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import * as der from './der.js';
import { GoPluginError, messageOf } from './errors.js';

export type CertificateCurve = 'P-521' | 'P-384' | 'P-256';

/**
 * Our default: P-256. go-plugin uses P-521 on both sides, which OpenSSL signs with in ~2.6 ms and
 * verifies in ~2 ms (P-256: 0.03 and 0.1 ms), paid per certificate and again per TLS handshake.
 * P-256 gives the 128-bit level the connection's X25519 key exchange already caps it at, every Go
 * peer accepts it, and BoringSSL-based peers (which refuse P-521 client signatures) do too.
 */
export const DEFAULT_CERTIFICATE_CURVE: CertificateCurve = 'P-256';

interface Curve {
  node: string;
  hash: string;
  sigOid: string;
  /** AlgorithmIdentifier { sigOid } as DER (hex). */
  sigAlg: string;
  /** Signs on the event loop: ~0.03 ms, less than a trip through the thread pool. */
  signInline: boolean;
}

/** @internal exported for the test that rebuilds the DER with der.ts */
export const CURVES: Record<CertificateCurve, Curve> = {
  // Go's defaults: ECDSA with the hash matching the curve size.
  'P-521': {
    node: 'secp521r1',
    hash: 'sha512',
    sigOid: '1.2.840.10045.4.3.4',
    sigAlg: '300a06082a8648ce3d040304',
    signInline: false,
  },
  'P-384': {
    node: 'secp384r1',
    hash: 'sha384',
    sigOid: '1.2.840.10045.4.3.3',
    sigAlg: '300a06082a8648ce3d040303',
    signInline: false,
  },
  'P-256': {
    node: 'prime256v1',
    hash: 'sha256',
    sigOid: '1.2.840.10045.4.3.2',
    sigAlg: '300a06082a8648ce3d040302',
    signInline: true,
  },
};

/**
 * The parts of the certificate that never change, as DER (hex). A process makes its first certificate
 * with code V8 has not compiled yet, and building these with der.ts then cost ~1.2 ms of a plugin's
 * start (bench/findings.md §30). certificate.test.ts rebuilds each one with der.ts.
 * @internal
 */
export const FIXED_DER = {
  /** [0] EXPLICIT INTEGER 2: X.509 v3. */
  version: 'a003020102',
  /** O=HashiCorp then CN=localhost, both PrintableString (Go's order); issuer and subject alike. */
  name: '302831123010060355040a13094861736869436f727031123010060355040313096c6f63616c686f7374',
  /** keyUsage, critical: bits 0 digitalSignature, 2 keyEncipherment, 4 keyAgreement, 5 keyCertSign. */
  keyUsage: '300e0603551d0f0101ff0404030202ac',
  /** extKeyUsage: clientAuth, serverAuth. */
  extKeyUsage: '301d0603551d250416301406082b0601050507030206082b06010505070301',
  /** basicConstraints, critical: cA TRUE. */
  basicConstraints: '300f0603551d130101ff040530030101ff',
  /** subjectKeyIdentifier up to its 20 key-id bytes, which follow it. */
  subjectKeyIdHead: '301d0603551d0e04160414',
  /** subjectAltName: dNSName localhost. */
  subjectAltName: '30140603551d11040d300b82096c6f63616c686f7374',
} as const;

const fixed = (part: keyof typeof FIXED_DER): Buffer => Buffer.from(FIXED_DER[part], 'hex');

/** @internal */
export const OID = {
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyId: '2.5.29.14',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** go-plugin's validity: from 30 s ago for 262980 hours (about 30 years). */
export const CERT_BACKDATE_MS = 30_000;
export const CERT_LIFETIME_MS = 262_980 * 3600_000;

export interface CertificateOptions {
  /** Default P-256 ({@link DEFAULT_CERTIFICATE_CURVE}); go-plugin's is P-521. Go peers accept each. */
  curve?: CertificateCurve;
  /** Clock for the validity window (tests). */
  now?: Date;
  /** A key pair of `curve` already being made (see {@link generateKeyPairAsync}); default: made now. */
  keyPair?: Promise<EcKeyPair>;
}

export interface EcKeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export interface AutoMtlsCertificate {
  der: Buffer;
  /** PEM, one CERTIFICATE block with a trailing newline (what PLUGIN_CLIENT_CERT carries). */
  pem: string;
  privateKey: KeyObject;
  /** PKCS#8 PEM of the key, kept in memory only (TLS APIs want PEM). */
  privateKeyPem: string;
}

/** The subjectPublicKey bytes inside an SPKI (what a key identifier hashes). */
function publicKeyBits(spki: Buffer): Buffer {
  const top = der.readElement(spki, 0);
  const [, bits] = der.children(spki, top);
  if (!bits || bits.tag !== 0x03) throw new Error('unexpected SubjectPublicKeyInfo layout');
  return spki.subarray(bits.start + 1, bits.end);
}

/** DER of the TBSCertificate for a public key. */
function tbsCertificate(spki: Buffer, sigAlg: Buffer, serial: Buffer, now: Date): Buffer {
  const notBefore = new Date(now.getTime() - CERT_BACKDATE_MS);
  const notAfter = new Date(now.getTime() + CERT_LIFETIME_MS);
  // Key identifier as current Go computes it for CA certificates: SHA-256 truncated to 160 bits.
  const ski = createHash('sha256').update(publicKeyBits(spki)).digest().subarray(0, 20);
  const name = fixed('name');
  const extensions = der.sequence(
    fixed('keyUsage'),
    fixed('extKeyUsage'),
    fixed('basicConstraints'),
    fixed('subjectKeyIdHead'),
    ski, // the end of the subjectKeyIdentifier extension
    fixed('subjectAltName'),
  );
  return der.sequence(
    fixed('version'),
    der.unsignedInteger(serial),
    sigAlg,
    name,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    name,
    spki,
    der.explicit(3, extensions),
  );
}

/** A key pair on `curve`, made on libuv's thread pool. */
export const generateKeyPairAsync = (
  curve: CertificateCurve = DEFAULT_CERTIFICATE_CURVE,
): Promise<EcKeyPair> =>
  new Promise((resolve, reject) =>
    generateKeyPair('ec', { namedCurve: CURVES[curve].node }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    ),
  );

const signAsync = (hash: string, data: Buffer, key: KeyObject): Promise<Buffer> =>
  new Promise((resolve, reject) => sign(hash, data, key, (err, sig) => (err ? reject(err) : resolve(sig))));

/**
 * Generates a fresh key and go-plugin-profile certificate. The key pair is made on the thread pool, and so
 * is the signature on the curves where it costs more than the trip there (P-384, P-521).
 */
export async function generateCertificate(options: CertificateOptions = {}): Promise<AutoMtlsCertificate> {
  const curve = CURVES[options.curve ?? DEFAULT_CERTIFICATE_CURVE];
  if (!curve) {
    throw new GoPluginError('INVALID_OPTIONS', `unsupported certificate curve ${String(options.curve)}`, {
      fix: 'Use one of P-256 (default), P-384, P-521.',
    });
  }
  try {
    const { publicKey, privateKey } = await (options.keyPair ?? generateKeyPairAsync(options.curve));
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const sigAlg = Buffer.from(curve.sigAlg, 'hex');
    // Uniform in [0, 2^128), like go-plugin.
    const tbs = tbsCertificate(spki, sigAlg, randomBytes(16), options.now ?? new Date());
    const signature = curve.signInline
      ? sign(curve.hash, tbs, privateKey)
      : await signAsync(curve.hash, tbs, privateKey);
    const certDer = der.sequence(tbs, sigAlg, der.bitString(signature));
    return {
      der: certDer,
      pem: derToPem(certDer),
      privateKey,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  } catch (err) {
    throw new GoPluginError('TLS_CERT', `generating the AutoMTLS certificate failed: ${messageOf(err)}`, {
      fix: 'This Node.js build must support ECDSA on the chosen curve (OpenSSL with EC enabled).',
      cause: err,
    });
  }
}

export function derToPem(certDer: Uint8Array): string {
  const b64 = Buffer.from(certDer).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Parses PEM or DER into Node's X509Certificate; the error names `what` and
 * says why it failed.
 */
export function parseCertificate(data: string | Uint8Array, what: string): X509Certificate {
  try {
    return new X509Certificate(typeof data === 'string' ? data : Buffer.from(data));
  } catch (err) {
    throw new GoPluginError('TLS_CERT', `${what} is not a valid X.509 certificate: ${messageOf(err)}`, {
      fix: `${what} must hold one PEM "CERTIFICATE" block (or DER bytes).`,
      cause: err,
    });
  }
}

/** What a peer's certificate must satisfy for Go peers to accept it. */
export interface CertificateReport {
  sanLocalhost: boolean;
  serverAuth: boolean;
  clientAuth: boolean;
  isCa: boolean;
  validNow: boolean;
  validFrom: Date;
  validTo: Date;
}

export function inspectCertificate(cert: X509Certificate, now = new Date()): CertificateReport {
  const eku = cert.keyUsage ?? [];
  const validFrom = new Date(cert.validFrom);
  const validTo = new Date(cert.validTo);
  return {
    sanLocalhost: (cert.subjectAltName ?? '').split(', ').includes('DNS:localhost'),
    // No EKU extension means any usage (RFC 5280).
    serverAuth: eku.length === 0 || eku.includes(OID.serverAuth),
    clientAuth: eku.length === 0 || eku.includes(OID.clientAuth),
    isCa: cert.ca,
    validNow: validFrom <= now && now <= validTo,
    validFrom,
    validTo,
  };
}
