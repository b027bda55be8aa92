/**
 * Point 4: the plugin must accept only the host whose certificate it got in
 * PLUGIN_CLIENT_CERT. Three TLS connections, each followed by an HTTP/2
 * preface (with TLS 1.3 a server refuses a client certificate only after the
 * client's handshake completed, so "accepted" means the server's HTTP/2
 * SETTINGS arrived): no client certificate, a stranger's self-signed
 * certificate, and the host's. The last one must work and negotiate ALPN h2.
 * A plugin that serves plaintext is detected too, so later points can still
 * talk to it.
 */
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';

import { generateCertificate, splitTcpAddress } from '@qplugin/go-plugin/protocol';
import type { AutoMtlsCertificate } from '@qplugin/go-plugin/protocol';

import { Point } from './points.js';

export interface Address {
  network: 'unix' | 'tcp';
  address: string;
}

export interface ProbeResult {
  accepted: boolean;
  /** Why not, or what the server did instead. */
  error?: string;
  alpn?: string | false | null;
  tlsVersion?: string;
  peerDer?: Buffer;
}

/** How the later points talk to the plugin. */
export type Transport =
  { kind: 'tls'; peerDer: Buffer } | { kind: 'plaintext' } | { kind: 'none'; why: string };

const PROBE_MS = 5000;

/** OpenSSL's multi-line error text, down to its reason (e.g. `tlsv13 alert certificate required`). */
function shortError(message: string): string {
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
  return reason ?? message.split('\n')[0]!;
}

function rawSocket(addr: Address): Socket {
  return addr.network === 'unix'
    ? netConnect({ path: addr.address })
    : netConnect(splitTcpAddress(addr.address));
}

/** Opens TLS (or plain TCP) and waits for the server's HTTP/2 SETTINGS. */
export function probe(addr: Address, tls: { cert?: AutoMtlsCertificate } | false): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let socket: Socket | TLSSocket;
    const result: ProbeResult = { accepted: false };
    let settled = false;
    const done = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) result.error = shortError(error);
      session.destroy();
      socket.destroy();
      resolve(result);
    };
    if (tls) {
      const s = tlsConnect({
        socket: rawSocket(addr),
        servername: 'localhost',
        ALPNProtocols: ['h2'],
        rejectUnauthorized: false, // the certificate is judged by point 3; here only who gets in matters
        ...(tls.cert ? { cert: tls.cert.pem, key: tls.cert.privateKeyPem } : {}),
      });
      s.once('secureConnect', () => {
        result.alpn = s.alpnProtocol;
        result.tlsVersion = s.getProtocol() ?? undefined;
        result.peerDer = s.getPeerCertificate().raw;
      });
      socket = s;
    } else {
      socket = rawSocket(addr);
    }
    const session = h2connect(tls ? 'https://localhost' : 'http://localhost', {
      createConnection: () => socket,
    });
    session.once('remoteSettings', () => {
      result.accepted = true;
      done();
    });
    session.on('error', (err) => done(err.message));
    socket.on('error', (err) => done(err.message));
    session.once('close', () => done('connection closed'));
    const timer = setTimeout(() => done(`no answer within ${PROBE_MS / 1000} s`), PROBE_MS);
  });
}

const FIX_REQUIRE =
  'Require and verify client certificates, trusting only the PEM in PLUGIN_CLIENT_CERT (Go: ClientAuth RequireAndVerifyClientCert with ClientCAs from it; grpc-js: ServerCredentials.createSsl(hostPem, [keyPair], true)).';

const FIX_ALPN =
  'Offer ALPN "h2" on the TLS server (grpc-go and grpc-js do by default; custom TLS setups must add it).';

export async function checkMtls(
  addr: Address | undefined,
  host: AutoMtlsCertificate,
  announcedDer: Buffer | undefined,
): Promise<{ point: Point; transport: Transport }> {
  const point = new Point('mtls');
  if (!addr) {
    point.skip('no usable address in the handshake (see point 2)');
    return { point, transport: { kind: 'none', why: 'no usable address in the handshake' } };
  }
  const stranger = await generateCertificate({ curve: 'P-256' });
  const [anonymous, foreign, real] = await Promise.all([
    probe(addr, {}),
    probe(addr, { cert: stranger }),
    probe(addr, { cert: host }),
  ]);

  if (!real.accepted && real.tlsVersion !== undefined && real.alpn !== 'h2') {
    point.fail(
      `TLS works but ALPN h2 is not negotiated, and HTTP/2 fails: ${real.error ?? 'refused'}`,
      FIX_ALPN,
    );
    return { point, transport: { kind: 'none', why: 'no HTTP/2 over TLS (ALPN h2 missing)' } };
  }
  if (!real.accepted) {
    const plain = await probe(addr, false);
    if (plain.accepted) {
      point.fail(
        'serves plaintext HTTP/2: no TLS at all, although the host sent PLUGIN_CLIENT_CERT',
        'Serve TLS when PLUGIN_CLIENT_CERT is set: geth always uses AutoMTLS and cannot talk to this plugin.',
      );
      return { point, transport: { kind: 'plaintext' } };
    }
    point.fail(
      `a TLS connection with the host's certificate fails: ${real.error ?? 'refused'}`,
      'Trust the PEM in PLUGIN_CLIENT_CERT as the client CA, and serve TLS >= 1.2 with ALPN h2 on the announced address.',
    );
    return { point, transport: { kind: 'none', why: `cannot connect: ${real.error ?? 'refused'}` } };
  }
  if (anonymous.accepted) {
    point.fail(
      'accepts a TLS connection without a client certificate, so every local process can call it',
      FIX_REQUIRE,
    );
  }
  if (foreign.accepted) {
    point.fail(
      "accepts a client certificate other than PLUGIN_CLIENT_CERT (a stranger's self-signed one)",
      FIX_REQUIRE,
    );
  }
  if (real.alpn !== 'h2') {
    point.fail(
      `ALPN h2 not negotiated (got ${real.alpn === false || real.alpn === undefined ? 'none' : real.alpn}): grpc-go >= 1.67 hosts refuse the connection`,
      FIX_ALPN,
    );
  }
  if (announcedDer && real.peerDer && !real.peerDer.equals(announcedDer)) {
    point.fail(
      'the TLS server presents a different certificate than the handshake announced: Go hosts trust only the announced one',
      'Serve TLS with the very certificate printed in field 6.',
    );
  }
  if (point.status === 'pass') {
    point.pass(
      `refuses no client certificate (${anonymous.error}) and a stranger's (${foreign.error}); the host's works (${real.tlsVersion}, ALPN h2)`,
    );
  }
  return { point, transport: { kind: 'tls', peerDer: real.peerDer ?? announcedDer ?? Buffer.alloc(0) } };
}
