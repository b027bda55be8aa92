/**
 * A server with mtlsServerOptions accepts exactly the pinned client
 * certificate (TLS-3): the host's own gets answers; no certificate, a
 * stranger's, or another certificate of the host's key get their
 * connection dropped before the server reads a request from it. And a
 * client accepts only the announced server certificate, before it sends
 * anything. On both transports (ours and node:http2), over a unix socket.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConnectionOptions } from 'node:tls';

import { generateCertificate } from '../../src/protocol/certificate.js';
import type { AutoMtlsCertificate } from '../../src/protocol/certificate.js';
import { dialChannel } from '../../src/protocol/dial.js';
import { ClientCall } from '../../src/protocol/grpc/call.js';
import type { CallStatus } from '../../src/protocol/grpc/call.js';
import type { Transport } from '../../src/protocol/grpc/channel.js';
import { GrpcServer } from '../../src/protocol/grpc/server.js';
import { Status } from '../../src/protocol/grpc/status.js';
import { mtlsClientOptions, mtlsServerOptions } from '../../src/protocol/tls.js';
import { Scratch } from '../support/scratch.js';

const scratch = new Scratch('qp-tls-');
let host: AutoMtlsCertificate;
let plugin: AutoMtlsCertificate;
let stranger: AutoMtlsCertificate;

before(async () => {
  [host, plugin, stranger] = await Promise.all([
    generateCertificate(),
    generateCertificate(),
    generateCertificate(),
  ]);
});

/** One unary call with TLS options `tls`; the status the client ends with. */
async function callWith(path: string, tls: ConnectionOptions, transport?: Transport): Promise<CallStatus> {
  const channel = dialChannel({ network: 'unix', address: path }, tls, { transport });
  try {
    return await new Promise<CallStatus>((resolve) => {
      const c = new ClientCall(
        channel,
        { path: '/t.Test/Echo', singleResponse: true, deadline: Date.now() + 5000 },
        { onMessage: () => {}, onStatus: resolve },
      );
      c.write(Buffer.from('hi'));
      c.end();
      c.start();
    });
  } finally {
    channel.close();
  }
}

for (const transport of ['h2', 'node-http2'] as const) {
  describe(`mutual TLS with a pinned client certificate (${transport} server)`, () => {
    let server: GrpcServer;
    let path: string;
    let handled = 0;

    before(async () => {
      server = new GrpcServer({ tls: mtlsServerOptions(plugin, host.der), transport });
      server.register('/t.Test/Echo', 'unary', (c) =>
        c.readAll((m) => {
          handled++;
          c.sendUnary(m ?? Buffer.alloc(0));
        }),
      );
      path = join(scratch.dir, `${transport}.sock`);
      server.listener.listen(path);
      await once(server.listener, 'listening');
    });
    after(() => server.stop(0));

    it('answers the host whose certificate it was given', async () => {
      const status = await callWith(path, mtlsClientOptions(host, plugin.der));
      assert.equal(status.code, Status.OK, status.message);
      assert.equal(handled, 1);
    });

    it("drops a stranger's certificate, no certificate, and the host key in another certificate, unread", async () => {
      const before = handled;
      const trustPlugin = mtlsClientOptions(host, plugin.der);
      const { cert: _c, key: _k, ...anonymous } = trustPlugin;
      const cases: [string, ConnectionOptions][] = [
        ['stranger', mtlsClientOptions(stranger, plugin.der)],
        ['no certificate', anonymous],
        // The host's key in a second certificate: holding the key is not enough, the certificate must
        // be the one the host announced.
        ['the host key in another certificate', { ...trustPlugin, cert: (await sameKey(host)).pem }],
      ];
      for (const [name, options] of cases) {
        const status = await callWith(path, options);
        assert.equal(status.code, Status.UNAVAILABLE, `${name}: ${status.message}`);
      }
      assert.equal(handled, before, 'no refused client reached a handler');
      await waitFor(() => server.connections === 0);
    });
  });
}

for (const transport of ['h2', 'node-http2'] as const) {
  describe(`mutual TLS with a pinned server certificate (${transport} client)`, () => {
    it('refuses a server presenting another certificate than announced, before sending a request', async () => {
      // The server accepts the host, but presents the stranger's certificate instead of the plugin's.
      const impostor = new GrpcServer({ tls: mtlsServerOptions(stranger, host.der) });
      let reached = 0;
      impostor.register('/t.Test/Echo', 'unary', (c) =>
        c.readAll((m) => {
          reached++;
          c.sendUnary(m ?? Buffer.alloc(0));
        }),
      );
      const path = join(scratch.dir, `impostor-${transport}.sock`);
      impostor.listener.listen(path);
      await once(impostor.listener, 'listening');
      try {
        const status = await callWith(path, mtlsClientOptions(host, plugin.der), transport);
        assert.equal(status.code, Status.UNAVAILABLE);
        assert.match(status.message, /certificate other than the one in its handshake/);
        assert.equal(reached, 0);
        // The same server, announced with its real certificate: answered (the refusal was the pin).
        const ok = await callWith(path, mtlsClientOptions(host, stranger.der), transport);
        assert.equal(ok.code, Status.OK, ok.message);
        assert.equal(reached, 1);
      } finally {
        await impostor.stop(0);
      }
    });
  });
}

function sameKey(cert: AutoMtlsCertificate): Promise<AutoMtlsCertificate> {
  const publicKey = createPublicKey(cert.privateKey);
  return generateCertificate({ keyPair: Promise.resolve({ publicKey, privateKey: cert.privateKey }) });
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}
