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
import { GoPluginError } from './errors.js';

/** The parts of a certificate TLS needs: PEM certificate and PEM private key. */
export type KeyPair = Pick<AutoMtlsCertificate, 'pem' | 'privateKeyPem'>;

/** Name both sides' certificates carry and verify. */
export const TLS_SERVER_NAME = 'localhost';

/** Where mtlsServerOptions and mtlsClientOptions keep the one peer certificate (DER) they accept. */
export const PINNED_PEER_CERTIFICATE: unique symbol = Symbol('qplugin.pinnedPeerCertificate');

/** Server TLS options that accept exactly one client certificate: {@link clientRefused} enforces it. */
export type PinnedServerTlsOptions = TlsOptions & { [PINNED_PEER_CERTIFICATE]: Buffer };

/** Client TLS options that accept exactly one server certificate: {@link connectTls} enforces it. */
export type PinnedClientTlsOptions = ConnectionOptions & { [PINNED_PEER_CERTIFICATE]: Buffer };

const pinnedOf = (options: TlsOptions | ConnectionOptions): Buffer | undefined =>
  (options as Partial<PinnedServerTlsOptions>)[PINNED_PEER_CERTIFICATE];

/** Whether the peer of a finished handshake presented exactly `der`. */
const presents = (socket: TLSSocket, der: Buffer): boolean =>
  socket.getPeerX509Certificate()?.raw.equals(der) === true;

/**
 * Server side: require a client certificate, and accept only `peerDer`
 * itself (what every host presents: TLS-4). No CA is configured: giving
 * Node one makes it build its whole root store first (the bundled roots and
 * NODE_EXTRA_CA_CERTS' file) to tell the stores apart, 4–40 ms at a
 * plugin's start depending on the Node line and that variable
 * (bench/findings.md §31). So OpenSSL reports every client as unverified
 * and the certificate is compared byte for byte instead, by GrpcServer on
 * each connection before it reads from it, as Node's own check would
 * (after the handshake, which proved the client holds the key).
 */
export function mtlsServerOptions(own: KeyPair, peerDer: Uint8Array): PinnedServerTlsOptions {
  return {
    cert: own.pem,
    key: own.privateKeyPem,
    ca: [],
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ['h2'],
    [PINNED_PEER_CERTIFICATE]: Buffer.from(peerDer),
  };
}

/**
 * Server side as a Go plugin sets it up (TLS-3): `peerPem` as the only
 * client CA, checked by Node. For code that stands in for Go or OpenSSL
 * plugins (the host check's probe, test fixtures): a client without a
 * certificate gets a certificate_required alert, which a pinning server
 * cannot send.
 */
export function caMtlsServerOptions(own: KeyPair, peerPem: string): TlsOptions {
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
 * Whether a server with `options` must drop this connection: its options
 * pin a client certificate and the client presented none or another one.
 */
export function clientRefused(options: TlsOptions, socket: TLSSocket): boolean {
  const pinned = pinnedOf(options);
  return pinned !== undefined && !presents(socket, pinned);
}

/**
 * Client side: accept only a server presenting `peerDer` itself. No CA, for
 * the reason {@link mtlsServerOptions} gives: {@link connectTls} compares
 * the certificate once the handshake has proved the server holds its key,
 * and destroys the socket before anyone can write to it otherwise. Connect
 * with {@link connectTls} or {@link startClientTls} only: `tls.connect`
 * alone would not check.
 */
export function mtlsClientOptions(own: KeyPair, peerDer: Uint8Array): PinnedClientTlsOptions {
  return {
    cert: own.pem,
    key: own.privateKeyPem,
    ca: [],
    rejectUnauthorized: false,
    servername: TLS_SERVER_NAME,
    ALPNProtocols: ['h2'],
    [PINNED_PEER_CERTIFICATE]: Buffer.from(peerDer),
  };
}

function serverMismatch(): GoPluginError {
  return new GoPluginError(
    'TLS_PEER_MISMATCH',
    'the server presented a certificate other than the one in its handshake',
    { fix: 'Another process may be listening on the announced address; restart the plugin.' },
  );
}

/**
 * `tls.connect`, enforcing the pin of options from {@link mtlsClientOptions}:
 * a server presenting another certificate never gets 'secureConnect' through,
 * as with Node's own verification: the socket is destroyed with a
 * TLS_PEER_MISMATCH error instead.
 */
export function connectTls(options: ConnectionOptions): TLSSocket {
  const socket = tlsConnect(options);
  const pinned = pinnedOf(options);
  if (pinned !== undefined) {
    // The listeners of 'secureConnect' (node:http2's, ours) write at once: the check goes before the event.
    const emit = socket.emit;
    socket.emit = function (this: TLSSocket, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'secureConnect') {
        if (!presents(socket, pinned)) {
          socket.destroy(serverMismatch());
          return false;
        }
        socket.emit = emit; // checked: every later event goes straight through
      }
      return Reflect.apply(emit, this, [event, ...args]) as boolean;
    } as typeof socket.emit;
  }
  return socket;
}

/** Starts TLS as the client on an already-connected socket (a yamux stream, say). */
export function startClientTls(socket: Duplex, options: ConnectionOptions): TLSSocket {
  return connectTls({ ...options, socket });
}
