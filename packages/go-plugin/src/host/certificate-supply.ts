/**
 * The host's AutoMTLS certificates: a fresh key pair and certificate for
 * every plugin start, as go-plugin makes them. Our default P-256 costs well
 * under a millisecond; the P-521 of go-plugin's profile (an option) costs
 * OpenSSL ~5 ms (key generation and signature, ~2.5 ms each) between start()
 * and the spawn. So, once a start is done, the certificate for the process's
 * next start is made ahead on the thread pool (not during a start, where it
 * would take CPU from the booting plugin) and held in memory only until a
 * start takes it: restarts and further plugins do not wait for it. Never
 * reused, never written anywhere.
 */
import { DEFAULT_CERTIFICATE_CURVE, generateCertificate } from '../protocol/certificate.js';
import type { AutoMtlsCertificate, CertificateCurve } from '../protocol/certificate.js';

const ahead = new Map<CertificateCurve, Promise<AutoMtlsCertificate>>();

/** A certificate no one else has had: the one made ahead if there is one, else a new one. */
export async function hostCertificate(
  curve: CertificateCurve = DEFAULT_CERTIFICATE_CURVE,
): Promise<AutoMtlsCertificate> {
  const made = ahead.get(curve);
  ahead.delete(curve);
  if (made) {
    try {
      return await made;
    } catch {
      // Made ahead and failed: make one now, which reports its own error if it fails too.
    }
  }
  return generateCertificate({ curve });
}

/** Starts making the next start's certificate, unless one is already made or being made. */
export function makeCertificateAhead(curve: CertificateCurve = DEFAULT_CERTIFICATE_CURVE): void {
  if (ahead.has(curve)) return;
  const next = generateCertificate({ curve });
  next.catch(() => {}); // surfaces (as a fresh attempt) when a start takes it
  ahead.set(curve, next);
}

/** @internal For tests: whether a certificate for `curve` is being made or waiting. */
export function hasCertificateAhead(curve: CertificateCurve = DEFAULT_CERTIFICATE_CURVE): boolean {
  return ahead.has(curve);
}
