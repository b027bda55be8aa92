/**
 * Opens the connection for one request: direct, or through an http proxy
 * (CONNECT tunnel for https, absolute-form GET for http), then TLS with the
 * pin check done right after the handshake, before any request byte is sent.
 * The whole sequence runs under one connect timeout.
 */
import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { PeerCertificate, TLSSocket } from 'node:tls';

import type { Logger } from '@qplugin/go-plugin/core/internal';

import { QuorumError } from '../errors.js';
import { certificateFingerprints, formatFingerprint } from './fingerprint.js';
import type { ProxyEnv } from './proxy.js';
import { proxyAuthorization, proxyFor } from './proxy.js';

export interface ConnectOptions {
  connectTimeoutMs: number;
  /** Normalised SHA-256 pins (certificate or SPKI); empty = no pinning. */
  pins: readonly string[];
  insecureSkipTLSVerify: boolean;
  /** Extra trust roots (PEM), e.g. a private CA for central. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  env: ProxyEnv;
  logger: Logger;
  signal?: AbortSignal;
}

export interface Connection {
  socket: Socket;
  /** Request target: origin-form, or absolute-form for plain http through a proxy. */
  path: string;
  headers: Record<string, string>;
  proxy?: URL;
}

const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function downloadError(message: string, url: URL, cause?: unknown, fix?: string): QuorumError {
  return new QuorumError('DIST_DOWNLOAD', message, { details: { url: url.href }, cause, fix });
}

function tcp(host: string, port: number, track: (s: Socket) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    track(socket);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Sends CONNECT and waits for a 2xx status line. */
function tunnel(socket: Socket, target: URL, proxy: URL): Promise<void> {
  const authority = `${target.hostname}:${portOf(target)}`;
  const auth = proxyAuthorization(proxy);
  socket.write(
    `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n` +
      (auth ? `Proxy-Authorization: ${auth}\r\n` : '') +
      '\r\n',
  );
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onEnd = (): void => onError(new Error(`proxy ${proxy.host} closed the connection during CONNECT`));
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024)
          onError(new Error(`proxy ${proxy.host} sent an oversized CONNECT response`));
        return;
      }
      cleanup();
      socket.pause();
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      if (!/^HTTP\/1\.[01] 2\d\d\b/.test(statusLine)) {
        reject(new Error(`proxy CONNECT to ${authority} failed: ${statusLine}`));
        return;
      }
      resolve();
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('end', onEnd);
  });
}

function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<PeerCertificate>();
  let cert: PeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert)) {
    seen.add(cert);
    chain.push(cert.raw);
    const next: PeerCertificate | undefined = (cert as { issuerCertificate?: PeerCertificate })
      .issuerCertificate;
    cert = next;
  }
  return chain;
}

/** Accepts when any certificate the server chain holds matches a pin, by certificate or SPKI hash. */
function checkPins(socket: TLSSocket, url: URL, pins: readonly string[]): void {
  const chain = peerChain(socket).map((der) => certificateFingerprints(der));
  if (chain.some((fp) => pins.includes(fp.certificate) || pins.includes(fp.publicKey))) return;
  const leaf = chain[0];
  throw new QuorumError('DIST_PINNING', 'certificate pinning failed', {
    fix: 'Check that central.certFingerprint is the SHA-256 of the server certificate or of its public key (SPKI), or that you are talking to the right server.',
    details: {
      url: url.href,
      expected: pins.map(formatFingerprint),
      actualCertificate: leaf ? formatFingerprint(leaf.certificate) : undefined,
      actualPublicKey: leaf ? formatFingerprint(leaf.publicKey) : undefined,
      chain: chain.map((fp) => ({
        certificate: formatFingerprint(fp.certificate),
        publicKey: formatFingerprint(fp.publicKey),
      })),
    },
  });
}

function handshake(
  socket: Socket,
  url: URL,
  o: ConnectOptions,
  track: (s: Socket) => void,
): Promise<TLSSocket> {
  const host = hostOf(url);
  return new Promise((resolve, reject) => {
    const tlsSocket = tlsConnect({
      socket,
      host,
      // SNI must not carry an IP address.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: !o.insecureSkipTLSVerify,
      ALPNProtocols: ['http/1.1'],
      ...(o.ca !== undefined ? { ca: o.ca as string | Buffer | Array<string | Buffer> } : {}),
    });
    track(tlsSocket);
    tlsSocket.once('secureConnect', () => {
      tlsSocket.off('error', onError);
      try {
        if (o.pins.length > 0) checkPins(tlsSocket, url, o.pins);
      } catch (err) {
        tlsSocket.destroy();
        reject(err);
        return;
      }
      resolve(tlsSocket);
    });
    const onError = (err: Error & { code?: string }): void => {
      if (err instanceof QuorumError) {
        reject(err);
        return;
      }
      const trust = err.code !== undefined && TLS_TRUST_CODES.has(err.code);
      reject(
        downloadError(
          `TLS handshake with ${url.host} failed: ${err.message}`,
          url,
          err,
          trust
            ? "Trust central's CA (NODE_EXTRA_CA_CERTS), or pin its certificate with central.certFingerprint and set central.insecureSkipTLSVerify."
            : undefined,
        ),
      );
    };
    tlsSocket.once('error', onError);
  });
}

export async function openConnection(url: URL, o: ConnectOptions): Promise<Connection> {
  const proxy = proxyFor(url, o.env);
  let current: Socket | undefined;
  let failure: QuorumError | undefined;
  const fail = (err: QuorumError): void => {
    failure = err;
    current?.destroy(err);
  };
  const track = (s: Socket): void => {
    current = s;
  };
  const timer = setTimeout(
    () => fail(downloadError(`connecting to ${url.host} timed out after ${o.connectTimeoutMs} ms`, url)),
    o.connectTimeoutMs,
  );
  const onAbort = (): void => fail(downloadError(`download of ${url.href} aborted`, url));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.signal?.aborted) throw downloadError(`download of ${url.href} aborted`, url);
    const path = `${url.pathname}${url.search}`;
    if (proxy !== undefined) {
      o.logger.debug('using proxy', { url: url.href, proxy: proxy.host });
      const socket = await tcp(hostOf(proxy), portOf(proxy), track);
      if (url.protocol === 'http:') {
        const auth = proxyAuthorization(proxy);
        return { socket, path: url.href, headers: auth ? { 'Proxy-Authorization': auth } : {}, proxy };
      }
      await tunnel(socket, url, proxy);
      return { socket: await handshake(socket, url, o, track), path, headers: {}, proxy };
    }
    const socket = await tcp(hostOf(url), portOf(url), track);
    if (url.protocol === 'http:') return { socket, path, headers: {} };
    return { socket: await handshake(socket, url, o, track), path, headers: {} };
  } catch (err) {
    current?.destroy();
    if (failure !== undefined) throw failure;
    if (err instanceof QuorumError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw downloadError(
      `cannot connect to ${proxy ? `proxy ${proxy.host} for ` : ''}${url.host}: ${message}`,
      url,
      err,
    );
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}
