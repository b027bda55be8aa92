/**
 * Security gateways: geth's TLS transform and probes, and its access rules
 * (gateway_test cases plus the rules of rpc/security.go as the reference
 * states them).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { RpcError, Status, createLogger } from '@qplugin/go-plugin/protocol';
import { generateCertificate } from '@qplugin/go-plugin/internal';
import type { Client } from '@qplugin/go-plugin/protocol';
import type { AutoMtlsCertificate } from '@qplugin/go-plugin/internal';

import {
  PreAuthenticatedAuthenticationTokenSchema,
  TLSConfiguration_ResponseSchema,
} from '../src/generated/security_pb.js';
import type { AuthenticationManager, TLSConfigurationSource } from '../src/generated/security_pb.js';
import {
  CIPHER_SUITE_OVERFLOW,
  DisabledAuthenticationManager,
  PluginAuthenticationManager,
  SecurityError,
  TLS_NOT_IMPLEMENTED_LOG,
  authenticationManager,
  buildTlsServerOptions,
  checkAccess,
  tlsConfigurationSource,
} from '../src/interfaces/index.js';
import type { AuthenticatedToken } from '../src/interfaces/index.js';

let cert: AutoMtlsCertificate;
let other: AutoMtlsCertificate;
before(async () => {
  [cert, other] = await Promise.all([
    generateCertificate({ curve: 'P-256' }),
    generateCertificate({ curve: 'P-256' }),
  ]);
});

const data = (cipherSuites: number[] = [], key = cert.privateKeyPem) => ({
  keyPem: Buffer.from(key),
  certPem: Buffer.from(cert.pem),
  cipherSuites,
});

const TLS13 = 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384';

describe('TLS transform', () => {
  it("no suites: geth's four defaults, TLS 1.2 minimum, geth's curves", () => {
    const o = buildTlsServerOptions(data());
    assert.equal(
      o.ciphers,
      `ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA:${TLS13}`,
    );
    assert.equal(o.minVersion, 'TLSv1.2');
    assert.equal(o.ecdhCurve, 'P-521:P-384:P-256:X25519');
    assert.equal(o.honorCipherOrder, true);
    assert.equal(o.cert, cert.pem);
  });

  it("honours the plugin's suites (TLS 1.3 ids accepted and ignored)", () => {
    assert.equal(
      buildTlsServerOptions(data([0xc02b, 0x1301])).ciphers,
      `ECDHE-ECDSA-AES128-GCM-SHA256:${TLS13}`,
    );
  });

  it('refuses ids above 0xFFFF, unknown ids and suites OpenSSL lacks', () => {
    assert.throws(() => buildTlsServerOptions(data([0x7fffffff])), { message: CIPHER_SUITE_OVERFLOW });
    assert.throws(() => buildTlsServerOptions(data([0x10000])), { message: CIPHER_SUITE_OVERFLOW });
    assert.throws(() => buildTlsServerOptions(data([0xffff])), /unknown cipher suite 0xffff/);
    assert.throws(() => buildTlsServerOptions(data([0x0005])), /TLS_RSA_WITH_RC4_128_SHA\) is not available/);
  });

  it('refuses a key that does not match the certificate', () => {
    assert.throws(
      () => buildTlsServerOptions(data([], other.privateKeyPem)),
      /^Error: invalid TLS key pair from the plugin/,
    );
  });
});

const tlsClient = (
  get: Client<typeof TLSConfigurationSource>['get'],
): Client<typeof TLSConfigurationSource> => ({ get });

describe('TLSConfigurationSource probe', () => {
  it('data → options; an empty response → undefined without error', async () => {
    let reply = create(TLSConfiguration_ResponseSchema, { data: data() });
    const source = await tlsConfigurationSource(() => tlsClient(async () => reply));
    assert.ok(source);
    assert.equal((await source.get())?.key, cert.privateKeyPem);
    reply = create(TLSConfiguration_ResponseSchema);
    assert.equal(await source.get(), undefined);
  });

  it('UNIMPLEMENTED → no source, logged at info; other errors keep the source', async () => {
    const logs: string[] = [];
    const logger = createLogger((level, message) => logs.push(`${level} ${message}`));
    const unimplemented = tlsClient(() =>
      Promise.reject(new RpcError(Status.UNIMPLEMENTED, 'no configuration')),
    );
    assert.equal(await tlsConfigurationSource(() => unimplemented, { logger }), undefined);
    assert.deepEqual(logs, [`info ${TLS_NOT_IMPLEMENTED_LOG}`]);
    const broken = tlsClient(() => Promise.reject(new RpcError(Status.INTERNAL, 'boom')));
    const source = await tlsConfigurationSource(() => broken);
    assert.ok(source);
    await assert.rejects(source.get(), { message: 'rpc error: code = Internal desc = boom' });
  });
});

describe('AuthenticationManager probe and gateway', () => {
  const authClient = (
    authenticate: Client<typeof AuthenticationManager>['authenticate'],
  ): Client<typeof AuthenticationManager> => ({ authenticate });

  it('probes with an empty token; UNIMPLEMENTED → disabled manager', async () => {
    const sent: string[] = [];
    const client = authClient((req) => {
      sent.push(Buffer.from(req.rawToken ?? []).toString());
      return Promise.reject(new RpcError(Status.UNIMPLEMENTED, 'no configuration'));
    });
    const manager = await authenticationManager(() => client);
    assert.deepEqual(sent, ['']);
    assert.ok(manager instanceof DisabledAuthenticationManager);
    assert.equal(manager.isEnabled(), false);
    await assert.rejects(manager.authenticate('x'), { message: 'not supported operation' });
  });

  it('any other probe error is ignored; the gateway sends the raw token bytes', async () => {
    const sent: string[] = [];
    const client = authClient(async (req) => {
      const token = Buffer.from(req.rawToken ?? []).toString();
      sent.push(token);
      if (token === '') throw new RpcError(Status.UNAUTHENTICATED, 'missing token');
      return create(PreAuthenticatedAuthenticationTokenSchema, {
        rawToken: req.rawToken,
        expiredAt: { seconds: 2_000_000_000n, nanos: 0 },
        authorities: [{ service: 'eth', method: '*', raw: 'eth_*' }],
      });
    });
    const manager = await authenticationManager(() => client);
    assert.ok(manager instanceof PluginAuthenticationManager);
    assert.equal(manager.isEnabled(), true);
    const token = await manager.authenticate('arbitrary token');
    assert.deepEqual(sent, ['', 'arbitrary token']);
    assert.deepEqual(token.authorities, [{ service: 'eth', method: '*', raw: 'eth_*' }]);
    await manager.authorize('arbitrary token', 'eth', 'call', 1_999_999_999_000);
    await assert.rejects(manager.authorize(undefined, 'eth', 'call'), { message: 'missing access token' });
    assert.equal(sent.length, 3, 'no call without a token');
  });
});

describe('checkAccess', () => {
  const at = (seconds: number, nanos = 0) => ({ seconds: BigInt(seconds), nanos });
  const token = (authorities: [string, string][], expiredAt = at(1000)): AuthenticatedToken => ({
    rawToken: new Uint8Array(),
    expiredAt,
    authorities: authorities.map(([service, method]) => ({ service, method, raw: `${service}_${method}` })),
  });
  const denied = (
    t: AuthenticatedToken | undefined,
    service: string,
    method: string,
    message: string | RegExp,
    now = 0,
  ) =>
    assert.throws(
      () => checkAccess(t, service, method, now),
      (e: unknown) =>
        e instanceof SecurityError &&
        e.jsonRpcCode === -32001 &&
        (typeof message === 'string' ? e.message === message : message.test(e.message)),
    );

  it("geth's messages", () => {
    denied(undefined, 'eth', 'call', 'missing access token');
    denied({ ...token([['*', '*']]), expiredAt: undefined }, 'eth', 'call', /^invalid timestamp in token: /);
    denied(token([['*', '*']], at(1, 1e9)), 'eth', 'call', /^invalid timestamp in token: nanos/);
    denied(token([['*', '*']], at(253402300800)), 'eth', 'call', /^invalid timestamp in token: seconds/);
    denied(token([['*', '*']]), 'eth', 'call', 'token expired', 1_000_001);
    denied(token([['eth', 'call']]), 'admin', 'peers', 'admin_peers - access denied');
  });

  it('wildcards in either field; expiry instant itself is still valid; names are exact', () => {
    checkAccess(token([['*', 'call']]), 'eth', 'call', 1_000_000);
    checkAccess(
      token([
        ['admin', 'nope'],
        ['eth', '*'],
      ]),
      'eth',
      'blockNumber',
      new Date(0),
    );
    denied(token([['eth', '*']]), 'Eth', 'blockNumber', 'Eth_blockNumber - access denied');
    denied(token([]), 'eth', 'call', 'eth_call - access denied');
  });
});
