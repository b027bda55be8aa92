/**
 * Certificate pinning values. geth compared the certificate's raw signature
 * bytes with the configured string, which cannot be written in a JSON file;
 * here a pin is what `openssl x509 -fingerprint -sha256` (certificate) or an
 * HPKP-style SPKI hash prints: SHA-256 hex, colons optional, any case.
 */
import { X509Certificate, createHash } from 'node:crypto';

import { QuorumError } from '../errors.js';

export interface CertificateFingerprints {
  /** SHA-256 of the DER certificate, lower-case hex. */
  certificate: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex. */
  publicKey: string;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function certificateFingerprints(der: Buffer): CertificateFingerprints {
  const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  return { certificate: sha256Hex(der), publicKey: sha256Hex(spki) };
}

/** `AB:cd:…` → `abcd…`; throws unless it is 32 bytes of hex. */
export function normalizePin(pin: string): string {
  const hex = pin.trim().replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new QuorumError('DIST_PINNING', `invalid certFingerprint ${JSON.stringify(pin)}`, {
      fix: 'Set central.certFingerprint to the SHA-256 of the server certificate or of its public key, in hex (colons allowed), e.g. from `openssl x509 -noout -fingerprint -sha256`.',
      details: { certFingerprint: pin },
    });
  }
  return hex;
}

/** Several pins (certificate rotation) may be separated by commas; '' means no pinning. */
export function parsePins(certFingerprint: string): string[] {
  return certFingerprint
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map(normalizePin);
}

/** Colon-separated upper-case form, as openssl prints it, for messages. */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}
