/**
 * Who gets in. With AutoMTLS the plugin must accept only the host whose
 * certificate it got in PLUGIN_CLIENT_CERT: three TLS connections, each
 * followed by an HTTP/2 preface (with TLS 1.3 a server refuses a client
 * certificate only after the client's handshake completed, so "accepted"
 * means the server's HTTP/2 SETTINGS arrived): no client certificate, a
 * stranger's, and the host's (a P-521 one, as go-plugin hosts use). When the
 * host's fails, the server's CertificateRequest tells whether a missing
 * signature scheme is the cause. Without AutoMTLS the plugin must serve
 * plaintext. Either way the later points learn how to talk to it.
 */
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';

import { generateCertificate, splitTcpAddress } from '@qplugin/go-plugin/internal';
import type { AutoMtlsCertificate } from '@qplugin/go-plugin/internal';

import { Point } from '../points.js';
import type { HostProfile } from '../presets.js';
import {
  GO_PLUGIN_SCHEME,
  readCertificateRequest,
  serverHandshakeSecret,
} from '../tls/certificate-request.js';
import type { CertificateRequestInfo } from '../tls/certificate-request.js';
import { tap } from './tap.js';

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
  /** What the server asked of client certificates (recorded probes only). */
  request?: CertificateRequestInfo;
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

export interface ProbeTls {
  cert?: AutoMtlsCertificate;
  /** Record the server's handshake to read its CertificateRequest. */
  record?: boolean;
}

/** Opens TLS (or plain TCP) and waits for the server's HTTP/2 SETTINGS. */
export function probe(addr: Address, tls: ProbeTls | false): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let socket: Socket | TLSSocket;
    const result: ProbeResult = { accepted: false };
    let settled = false;
    let recorded: (() => Buffer) | undefined;
    let secret: Buffer | undefined;
    const done = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) result.error = shortError(error);
      if (recorded) {
        const request = readCertificateRequest(recorded(), secret);
        if (request) result.request = request;
      }
      session.destroy();
      socket.destroy();
      resolve(result);
    };
    if (tls) {
      const raw = rawSocket(addr);
      let transport: Socket | ReturnType<typeof tap>['stream'] = raw;
      if (tls.record) {
        const tapped = tap(raw);
        recorded = tapped.received;
        transport = tapped.stream;
      }
      const s = tlsConnect({
        socket: transport,
        servername: 'localhost',
        ALPNProtocols: ['h2'],
        rejectUnauthorized: false, // the certificate is judged on its own; here only who gets in matters
        ...(tls.cert ? { cert: tls.cert.pem, key: tls.cert.privateKeyPem } : {}),
      });
      s.on('keylog', (line: Buffer) => (secret ??= serverHandshakeSecret(line)));
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
  'Require and verify client certificates, trusting only the PEM in PLUGIN_CLIENT_CERT (Go: ClientAuth RequireAndVerifyClientCert with ClientCAs from it; Node: requestCert and rejectUnauthorized with ca set to it).';

const FIX_ALPN =
  'Offer ALPN "h2" on the TLS server (grpc-go and grpc-js do by default; custom TLS setups must add it).';

const fixScheme = (offered: readonly string[]): string =>
  `Accept ${GO_PLUGIN_SCHEME} signatures from clients: go-plugin hosts present an ECDSA P-521 certificate and can only sign with that scheme, so with it missing from the CertificateRequest (offered: ${offered.join(', ') || 'none'}) they send no certificate. TLS stacks built on BoringSSL (gRPC C-core, e.g. Python grpcio) leave it out; use a TLS stack that supports P-521 (OpenSSL: the default signature algorithms include it), or a host that uses a P-256 certificate.`;

function why(request: CertificateRequestInfo | undefined): string {
  if (!request) return '';
  if (!request.requested) return '; the server did not ask for a client certificate';
  return `; its CertificateRequest (${request.tlsVersion}) offers ${request.schemes.join(', ') || 'no signature schemes'}`;
}

export async function checkMtls(
  addr: Address | undefined,
  host: AutoMtlsCertificate | undefined,
  announcedDer: Buffer | undefined,
  profile: HostProfile,
): Promise<{ point: Point; transport: Transport }> {
  const point = new Point('mtls', host ? 'mutual TLS required' : 'plaintext gRPC for a host without TLS');
  if (!addr) {
    point.skip('no usable address in the handshake (see the handshake point)');
    return { point, transport: { kind: 'none', why: 'no usable address in the handshake' } };
  }
  if (!host) return checkPlaintext(addr, point, profile);

  const stranger = await generateCertificate({ curve: 'P-256' });
  const [anonymous, foreign, real] = await Promise.all([
    probe(addr, {}),
    probe(addr, { cert: stranger }),
    probe(addr, { cert: host, record: true }),
  ]);

  if (!real.accepted && real.tlsVersion !== undefined && real.alpn !== 'h2') {
    point.fail(
      'TLS-5',
      `TLS works but ALPN h2 is not negotiated, and HTTP/2 fails: ${real.error ?? 'refused'}`,
      FIX_ALPN,
    );
    return { point, transport: { kind: 'none', why: 'no HTTP/2 over TLS (ALPN h2 missing)' } };
  }
  if (!real.accepted) {
    const plain = await probe(addr, false);
    if (plain.accepted) {
      point.fail(
        'TLS-3',
        'serves plaintext HTTP/2: no TLS at all, although the host sent PLUGIN_CLIENT_CERT',
        `Serve TLS when PLUGIN_CLIENT_CERT is set: ${profile.host} uses AutoMTLS and cannot talk to this plugin.`,
      );
      return { point, transport: { kind: 'plaintext' } };
    }
    const request = real.request;
    if (request?.requested && !request.schemes.includes(GO_PLUGIN_SCHEME)) {
      point.fail(
        'TLS-6',
        `a TLS connection with the host's P-521 certificate fails (${real.error ?? 'refused'}): the plugin's CertificateRequest (${request.tlsVersion}) does not offer ${GO_PLUGIN_SCHEME}, the only scheme a P-521 key signs with, so go-plugin hosts send no certificate`,
        fixScheme(request.schemes),
      );
    } else {
      point.fail(
        'TLS-3',
        `a TLS connection with the host's certificate fails: ${real.error ?? 'refused'}${why(request)}`,
        'Trust the PEM in PLUGIN_CLIENT_CERT as the client CA, and serve TLS >= 1.2 with ALPN h2 on the announced address.',
      );
    }
    return { point, transport: { kind: 'none', why: `cannot connect: ${real.error ?? 'refused'}` } };
  }
  if (anonymous.accepted) {
    point.fail(
      'TLS-3',
      'accepts a TLS connection without a client certificate, so every local process can call it',
      FIX_REQUIRE,
    );
  }
  if (foreign.accepted) {
    point.fail(
      'TLS-3',
      "accepts a client certificate other than PLUGIN_CLIENT_CERT (a stranger's self-signed one)",
      FIX_REQUIRE,
    );
  }
  if (real.alpn !== 'h2') {
    point.fail(
      'TLS-5',
      `ALPN h2 not negotiated (got ${real.alpn === false || real.alpn === undefined ? 'none' : real.alpn}): grpc-go >= 1.67 hosts refuse the connection`,
      FIX_ALPN,
    );
  }
  if (announcedDer && real.peerDer && !real.peerDer.equals(announcedDer)) {
    point.fail(
      'TLS-3',
      'the TLS server presents a different certificate than the handshake announced: Go hosts trust only the announced one',
      'Serve TLS with the very certificate printed in field 6.',
    );
  }
  if (point.status === 'pass') {
    point.pass(
      'TLS-3',
      `refuses no client certificate (${anonymous.error}) and a stranger's (${foreign.error}); the host's P-521 one works (${real.tlsVersion}, ALPN h2${real.request?.requested ? `, ${GO_PLUGIN_SCHEME} accepted` : ''})`,
    );
  }
  return { point, transport: { kind: 'tls', peerDer: real.peerDer ?? announcedDer ?? Buffer.alloc(0) } };
}

async function checkPlaintext(
  addr: Address,
  point: Point,
  profile: HostProfile,
): Promise<{ point: Point; transport: Transport }> {
  const plain = await probe(addr, false);
  if (plain.accepted) {
    point.pass('TLS-3', 'serves plaintext HTTP/2, as a host without AutoMTLS needs');
    return { point, transport: { kind: 'plaintext' } };
  }
  const tls = await probe(addr, {});
  if (tls.tlsVersion !== undefined || tls.accepted) {
    point.fail(
      'TLS-3',
      `serves TLS although the host sent no PLUGIN_CLIENT_CERT: ${profile.host} dials plaintext and cannot talk to it`,
      'Serve TLS only when PLUGIN_CLIENT_CERT is set; otherwise plaintext gRPC.',
    );
    return { point, transport: { kind: 'none', why: 'serves TLS to a host without TLS' } };
  }
  point.fail(
    'LS-4',
    `no HTTP/2 on the announced address: ${plain.error ?? 'refused'}`,
    'Serve gRPC on the address printed in the handshake, before printing it.',
  );
  return { point, transport: { kind: 'none', why: `cannot connect: ${plain.error ?? 'refused'}` } };
}
