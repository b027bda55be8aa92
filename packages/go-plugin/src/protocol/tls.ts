/**
 * Mutual TLS as go-plugin's AutoMTLS sets it up, for grpc-js: each side
 * presents its per-launch certificate and trusts exactly the peer's one
 * certificate, server name `localhost`, TLS >= 1.2 (Node's floor), ALPN h2
 * (grpc-js always offers it; Go peers require it).
 */
import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import type { ChannelOptions } from '@grpc/grpc-js';

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
export function mtlsServerCredentials(own: KeyPair, peerPem: string): ServerCredentials {
  return ServerCredentials.createSsl(
    Buffer.from(peerPem),
    [{ cert_chain: Buffer.from(own.pem), private_key: Buffer.from(own.privateKeyPem) }],
    true,
  );
}

/**
 * Client side: trust only `peerDer`, and also insist the presented leaf is
 * byte-for-byte that certificate.
 */
export function mtlsChannelCredentials(own: KeyPair, peerDer: Uint8Array): ChannelCredentials {
  const expected = Buffer.from(peerDer);
  return ChannelCredentials.createSsl(
    Buffer.from(derToPem(expected)),
    Buffer.from(own.privateKeyPem),
    Buffer.from(own.pem),
    {
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
    },
  );
}

/** grpc-js channel options for a TLS target: TCP targets need the name override. */
export function mtlsChannelOptions(): ChannelOptions {
  return { 'grpc.ssl_target_name_override': TLS_SERVER_NAME, 'grpc.default_authority': TLS_SERVER_NAME };
}
