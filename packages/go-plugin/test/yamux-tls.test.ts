/**
 * A YamuxStream as the transport under Node's tls (and http2 over that), as
 * go-plugin does when it applies AutoMTLS per multiplexed stream. TS ↔ TS
 * over an in-memory pipe.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import tls from 'node:tls';

import { generateCertificate } from '../src/protocol/certificate.js';
import { YamuxSession, duplexPair } from '../src/protocol/yamux/index.js';

const certificate = generateCertificate({ curve: 'P-256' });

function sessionPair(t: TestContext) {
  const [a, b] = duplexPair();
  const client = new YamuxSession(a, { client: true });
  const server = new YamuxSession(b, { client: false });
  t.after(async () => {
    client.destroy();
    server.destroy();
    await Promise.all([client.closed, server.closed]);
  });
  return { client, server };
}

function whenClosed(stream: Duplex): Promise<unknown> {
  return stream.closed ? Promise.resolve() : once(stream, 'close');
}

function readAll(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

describe('TLS over a yamux stream', () => {
  it('runs a mutual-TLS connection over a stream and echoes 1 MiB through it', async (t) => {
    const cert = await certificate;
    const { client, server } = sessionPair(t);
    // Both ends present the same self-signed AutoMTLS-style certificate and trust only it.
    const identity = { key: cert.privateKeyPem, cert: cert.pem, ca: cert.pem };
    const tlsServer = tls.createServer({ ...identity, requestCert: true, rejectUnauthorized: true });
    const outbound = client.open();
    const inbound = await server.accept();
    const secured = once(tlsServer, 'secureConnection') as Promise<[tls.TLSSocket]>;
    tlsServer.emit('connection', inbound);
    const clientTls = tls.connect({ socket: outbound, servername: 'localhost', ...identity });
    const [[serverTls]] = await Promise.all([secured, once(clientTls, 'secureConnect')]);
    assert.equal(clientTls.authorized, true);
    assert.equal(serverTls.authorized, true, 'server verified the client certificate');
    assert.ok(serverTls.getPeerCertificate().raw.equals(cert.der));

    serverTls.pipe(serverTls);
    const payload = randomBytes(1024 * 1024);
    const echoed = readAll(clientTls);
    clientTls.end(payload);
    assert.ok((await echoed).equals(payload));
    // TLS close_notify and end travel down as yamux FINs: both streams close cleanly.
    await Promise.all([whenClosed(outbound), whenClosed(inbound)]);
    assert.equal(client.numStreams + server.numStreams, 0);
  });

  it('serves http2 over TLS over a stream (server fed with emit("connection"))', async (t) => {
    const cert = await certificate;
    const { client, server } = sessionPair(t);
    const h2server = http2.createSecureServer({ key: cert.privateKeyPem, cert: cert.pem });
    h2server.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(`hello ${headers[':path']}`);
    });
    const outbound = client.open();
    const inbound = await server.accept();
    h2server.emit('connection', inbound);

    const session = http2.connect('https://localhost', {
      createConnection: () =>
        tls.connect({ socket: outbound, servername: 'localhost', ca: cert.pem, ALPNProtocols: ['h2'] }),
    });
    t.after(() => session.destroy());
    const request = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const req = session.request({ ':path': path });
        req.setEncoding('utf8');
        let body = '';
        req.on('data', (chunk: string) => (body += chunk));
        req.on('end', () => resolve(body));
        req.on('error', reject);
      });
    const bodies = await Promise.all(['/a', '/b', '/yamux'].map(request));
    assert.deepEqual(bodies, ['hello /a', 'hello /b', 'hello /yamux']);
    await new Promise<void>((resolve) => session.close(resolve));
    await Promise.all([whenClosed(outbound), whenClosed(inbound)]);
    assert.equal(client.numStreams + server.numStreams, 0);
  });
});
