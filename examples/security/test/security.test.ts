/**
 * The TS security plugin under our TS host (PluginClient), through the
 * host-side gateways: TLS material that a real HTTPS server and client
 * handshake with, geth's cipher policy, and token decisions.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { PluginClient } from '@qplugin/go-plugin/host';
import { RpcError, Status, createLogger } from '@qplugin/go-plugin/protocol';
import { generateCertificate } from '@qplugin/go-plugin/internal';
import type { AutoMtlsCertificate } from '@qplugin/go-plugin/internal';
import { expectNoProcesses } from '@qplugin/go-plugin/testing';
import { InitializerGateway, QUORUM_HANDSHAKE, SecurityError, authenticationManager } from '@qplugin/quorum';
import {
  CIPHER_SUITE_OVERFLOW,
  NOT_SUPPORTED_OPERATION,
  TLS_NOT_IMPLEMENTED_LOG,
  tlsConfigurationSource,
} from '@qplugin/quorum/internal';
import type { TlsServerOptions } from '@qplugin/quorum';

const PLUGIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const TOKEN = `--qp-test=${randomUUID()}`;
const scratch = mkdtempSync(join(tmpdir(), 'qp-security-'));
const logs: string[] = [];
const logger = createLogger((_level, message) => logs.push(message), { level: 'trace' });
let client: PluginClient;
let init: InitializerGateway;
let cert: AutoMtlsCertificate;

const configure = (cfg: unknown): Promise<void> => init.init('node-1', Buffer.from(JSON.stringify(cfg)));

/** Serves HTTPS with the options and reports what a client negotiated. */
async function handshake(
  options: TlsServerOptions,
  maxVersion: 'TLSv1.2' | 'TLSv1.3',
): Promise<[string, string]> {
  const server = createServer(options, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = get(
        { host: '127.0.0.1', port, servername: 'localhost', ca: cert.pem, maxVersion, agent: false },
        (res) => {
          const socket = res.socket as TLSSocket;
          const negotiated: [string, string] = [String(socket.getProtocol()), socket.getCipher().name];
          res.resume().on('end', () => resolve(negotiated));
        },
      );
      req.on('error', reject);
    });
  } finally {
    server.close();
  }
}

before(async () => {
  cert = await generateCertificate({ curve: 'P-256' });
  writeFileSync(join(scratch, 'cert.pem'), cert.pem);
  writeFileSync(join(scratch, 'key.pem'), cert.privateKeyPem);
  client = new PluginClient({
    command: process.execPath,
    args: [PLUGIN, TOKEN],
    handshake: QUORUM_HANDSHAKE,
    unixSocket: { dir: scratch },
  });
  await client.start();
  init = new InitializerGateway(client);
});

after(async () => {
  await client?.kill();
  await expectNoProcesses(TOKEN);
  rmSync(scratch, { recursive: true, force: true });
});

describe('TLSConfigurationSource', () => {
  const tls = { certFile: join(scratch, 'cert.pem'), keyFile: join(scratch, 'key.pem') };

  it("geth's defaults: TLS 1.2 negotiates a default suite, TLS 1.3 still works", async () => {
    await configure({ tls });
    const source = await tlsConfigurationSource(client, { logger });
    assert.ok(source, 'TLS is provided');
    const options = await source.get();
    assert.ok(options);
    assert.equal(options.minVersion, 'TLSv1.2');
    assert.equal(options.ecdhCurve, 'P-521:P-384:P-256:X25519');
    assert.deepEqual(await handshake(options, 'TLSv1.2'), ['TLSv1.2', 'ECDHE-ECDSA-AES256-GCM-SHA384']);
    assert.equal((await handshake(options, 'TLSv1.3'))[0], 'TLSv1.3');
  });

  it("honours the plugin's cipher suites (inline PEM)", async () => {
    await configure({ tls: { certPem: cert.pem, keyPem: cert.privateKeyPem, cipherSuites: [0xc02b] } });
    const options = await (await tlsConfigurationSource(client))!.get();
    assert.ok(options);
    assert.deepEqual(await handshake(options, 'TLSv1.2'), ['TLSv1.2', 'ECDHE-ECDSA-AES128-GCM-SHA256']);
  });

  it('refuses a suite id above 0xFFFF and unknown ids', async () => {
    await configure({ tls: { ...tls, cipherSuites: [0x7fffffff] } });
    const source = await tlsConfigurationSource(client);
    assert.ok(source, 'the probe ignores errors other than UNIMPLEMENTED');
    await assert.rejects(source.get(), { message: CIPHER_SUITE_OVERFLOW });
    await configure({ tls: { ...tls, cipherSuites: [0x1234] } });
    await assert.rejects(source.get(), /unknown cipher suite 0x1234/);
  });

  it('no tls configured: UNIMPLEMENTED, so TLS is disabled (logged)', async () => {
    await configure({});
    logs.length = 0;
    assert.equal(await tlsConfigurationSource(client, { logger }), undefined);
    assert.deepEqual(logs, [TLS_NOT_IMPLEMENTED_LOG]);
  });
});

describe('AuthenticationManager', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const tokens = {
    good: {
      expiresAt: '2031-01-01T00:00:00.5Z',
      authorities: ['eth_*', { service: '*', method: 'nodeInfo' }],
    },
    old: { expiresAt: Date.parse('2029-12-31T23:59:59Z') / 1000, authorities: ['*_*'] },
  };

  it("applies geth's rules to the plugin's answers", async () => {
    await configure({ tokens });
    const auth = await authenticationManager(client);
    assert.equal(auth.isEnabled(), true);
    const token = await auth.authorize('Bearer good', 'eth', 'blockNumber', now);
    assert.deepEqual(token.expiredAt, {
      seconds: BigInt(Date.parse('2031-01-01T00:00:00Z') / 1000),
      nanos: 5e8,
    });
    assert.deepEqual(
      token.authorities.map((a) => a.raw),
      ['eth_*', '*_nodeInfo'],
    );
    await auth.authorize('good', 'admin', 'nodeInfo', now);
    await assert.rejects(
      auth.authorize('good', 'admin', 'peers', now),
      (e: unknown) =>
        e instanceof SecurityError && e.message === 'admin_peers - access denied' && e.jsonRpcCode === -32001,
    );
    await assert.rejects(auth.authorize('Bearer old', 'eth', 'blockNumber', now), {
      message: 'token expired',
    });
    await assert.rejects(auth.authorize(undefined, 'eth', 'blockNumber', now), {
      message: 'missing access token',
    });
    await assert.rejects(
      auth.authorize('Bearer nope', 'eth', 'blockNumber', now),
      (e: unknown) =>
        e instanceof RpcError && e.code === Status.UNAUTHENTICATED && e.details === 'invalid token',
    );
  });

  it('no tokens configured: the disabled manager', async () => {
    await configure({});
    const auth = await authenticationManager(client);
    assert.equal(auth.isEnabled(), false);
    await assert.rejects(auth.authenticate('good'), { message: NOT_SUPPORTED_OPERATION });
  });
});

describe('Init', () => {
  const rejects = (cfg: unknown, details: RegExp): Promise<void> =>
    assert.rejects(
      configure(cfg),
      (e: unknown) => e instanceof RpcError && e.code === Status.INVALID_ARGUMENT && details.test(e.details),
    );

  it('explains what is wrong with a configuration', async () => {
    await assert.rejects(
      init.init('n', Buffer.from('{nope')),
      (e: unknown) => e instanceof RpcError && /^invalid config: /.test(e.details),
    );
    await rejects({ tsl: {} }, /^config: unknown key "tsl"/);
    await rejects({ tls: { certPem: cert.pem } }, /^tls: give exactly one of keyPem and keyFile$/);
    await rejects({ tls: { certFile: '/nonexistent/cert.pem', keyPem: 'x' } }, /^tls\.certFile: cannot read/);
    await rejects(
      { tls: { certPem: cert.pem, keyPem: 'not a key' } },
      /^tls: unusable certificate\/key pair/,
    );
    await rejects(
      { tls: { certPem: cert.pem, keyPem: cert.privateKeyPem, cipherSuites: [-1] } },
      /^tls\.cipherSuites\[0\]/,
    );
    await rejects(
      { tokens: { t: { expiresAt: 'tomorrow', authorities: [] } } },
      /^tokens\["t"\]\.expiresAt: must be an RFC 3339/,
    );
    await rejects(
      { tokens: { t: { expiresAt: 0, authorities: ['ethblockNumber'] } } },
      /authorities\[0\]: "ethblockNumber" is not/,
    );
  });
});
