/**
 * The certificate announced in the handshake, against what a Go host
 * verifies: name `localhost` from the SAN (Go >= 1.15 ignores the CN),
 * extended key usage serverAuth (clientAuth too when the plugin dials
 * brokered servers back), validity now, and a key Go's TLS stack takes.
 */
import { X509Certificate } from 'node:crypto';

import { inspectCertificate } from '@qplugin/go-plugin/internal';

import { Point } from '../points.js';

const FIX_PROFILE =
  "Generate the certificate with go-plugin's AutoMTLS profile: CN=localhost, SAN DNS:localhost, extended key usage serverAuth + clientAuth, ECDSA P-256/P-384/P-521 (or RSA >= 2048), valid from a little before now.";
const DAY_MS = 24 * 3600_000;
const GO_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

function keyDescription(cert: X509Certificate, point: Point): string {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = GO_CURVES[details.namedCurve ?? ''];
      if (!curve) {
        point.fail(
          'TLS-1',
          `ECDSA key on curve ${details.namedCurve ?? '?'}, which Go's TLS does not support`,
          FIX_PROFILE,
        );
        return `ECDSA ${details.namedCurve ?? '?'}`;
      }
      return `ECDSA ${curve}`;
    }
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < 1024)
        point.fail(
          'TLS-1',
          `RSA key of ${bits} bits: Go >= 1.24 refuses RSA keys under 1024 bits`,
          FIX_PROFILE,
        );
      else if (bits < 2048) point.warn('TLS-1', `RSA key of ${bits} bits is weak`, FIX_PROFILE);
      return `RSA ${bits}`;
    }
    case 'ed25519':
      return 'Ed25519';
    default:
      point.fail(
        'TLS-1',
        `${key.asymmetricKeyType ?? 'unknown'} key: Go hosts will not use it for TLS`,
        FIX_PROFILE,
      );
      return key.asymmetricKeyType ?? 'unknown key';
  }
}

export function checkCertificate(der: Buffer | undefined, now = new Date(), skipReason?: string): Point {
  const point = new Point('certificate', 'server certificate');
  if (!der)
    return point.skip(skipReason ?? 'no usable certificate in the handshake (see the handshake point)');
  const cert = new X509Certificate(der);
  const report = inspectCertificate(cert, now);

  if (!report.sanLocalhost) {
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    if (!cert.subjectAltName && cn === 'localhost') {
      point.fail(
        'TLS-1',
        'CN=localhost but no subjectAltName: Go >= 1.15 ignores the CN, so Go hosts fail with "x509: certificate relies on legacy Common Name field"',
        'Add the extension subjectAltName = DNS:localhost.',
      );
    } else {
      point.fail(
        'TLS-1',
        `no DNS:localhost in the subjectAltName (${cert.subjectAltName ?? 'none'}): Go hosts verify the name "localhost"`,
        'Add the extension subjectAltName = DNS:localhost.',
      );
    }
  }
  if (!report.serverAuth) {
    point.fail(
      'TLS-1',
      'extended key usage lacks serverAuth: Go hosts refuse it for a TLS server',
      'Add serverAuth (and clientAuth) to the extended key usage, or leave the extension out.',
    );
  }
  if (!report.clientAuth) {
    point.warn(
      'TLS-7',
      'extended key usage lacks clientAuth: the certificate cannot be used to dial brokered servers back to the host',
      'Add clientAuth to the extended key usage (go-plugin uses one certificate for both roles).',
    );
  }
  if (now < report.validFrom) {
    point.fail(
      'TLS-1',
      `not valid before ${report.validFrom.toISOString()} (in the future): Go hosts refuse it`,
      'Back-date notBefore (go-plugin uses now - 30 s) so clock skew cannot make it not yet valid.',
    );
  } else if (now > report.validTo) {
    point.fail(
      'TLS-1',
      `expired on ${report.validTo.toISOString()}`,
      'Generate a fresh certificate at each start.',
    );
  } else if (report.validTo.getTime() - now.getTime() < DAY_MS) {
    point.warn(
      'TLS-1',
      `expires within a day (${report.validTo.toISOString()}): later connections would fail`,
      'Make it valid for as long as the plugin may run (go-plugin: 262980 hours).',
    );
  }
  const key = keyDescription(cert, point);
  if (point.status === 'pass') {
    point.pass(
      'TLS-1',
      `SAN DNS:localhost, EKU serverAuth+clientAuth, valid until ${report.validTo.toISOString().slice(0, 10)}, ${key}`,
    );
  }
  return point;
}
