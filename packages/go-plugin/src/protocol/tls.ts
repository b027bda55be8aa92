/**
 * Mutual TLS as go-plugin's AutoMTLS sets it up: each side presents its
 * per-launch certificate and trusts exactly the peer's one certificate,
 * server name `localhost`, TLS >= 1.2 (Node's floor), ALPN h2 (Go peers
 * require it).
 */
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions, TLSSocket, TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';

import type { AutoMtlsCertificate } from './certificate.js';
import { derToPem } from './certificate.js';
import { GoPluginError } from './errors.js';

/** The parts of a certificate TLS needs: PEM certificate and PEM private key. */
export type KeyPair = Pick<AutoMtlsCertificate, 'pem' | 'privateKeyPem'>;

/** Name both sides' certificates carry and verify. */
export const TLS_SERVER_NAME = 'localhost';

/**
 * Server side: require a client certificate that chains to `peerPem`. The
 * peer's certificate is a self-signed CA whose key only the peer holds, so
 * chaining to it is as strict as comparing bytes.
 */
export function mtlsServerOptions(own: KeyPair, peerPem: string): TlsOptions {
  return {
    cert: own.pem,
    key: own.privateKeyPem,
    ca: peerPem,
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: ['h2'],
  };
}

/**
 * Client side: trust only `peerDer`, and also insist the presented leaf is
 * byte-for-byte that certificate.
 */
export function mtlsClientOptions(own: KeyPair, peerDer: Uint8Array): ConnectionOptions {
  const expected = Buffer.from(peerDer);
  return {
    cert: own.pem,
    key: own.privateKeyPem,
    ca: derToPem(expected),
    servername: TLS_SERVER_NAME,
    ALPNProtocols: ['h2'],
    checkServerIdentity: (_host, cert) =>
      cert.raw.equals(expected)
        ? undefined
        : new GoPluginError(
            'TLS_PEER_MISMATCH',
            'the server presented a certificate other than the one in its handshake',
            {
              fix: 'Another process may be listening on the announced address; restart the plugin.',
            },
          ),
  };
}

/** Starts TLS as the client on an already-connected socket (a yamux stream, say). */
export function startClientTls(socket: Duplex, options: ConnectionOptions): TLSSocket {
  return tlsConnect({ ...options, socket });
}
