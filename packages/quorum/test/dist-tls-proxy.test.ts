/**
 * TLS towards Plugin Central: trust, certificate pinning by certificate or
 * SPKI SHA-256 (any case, colons optional), the loud insecure mode, and
 * HTTP(S)_PROXY/NO_PROXY with a real CONNECT proxy on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { createLogger } from '@qplugin/go-plugin/protocol';

import { CentralClient, bypassesProxy, proxyFor } from '../src/distribution/index.js';
import type { CentralClientOptions } from '../src/distribution/index.js';
import type { CentralConfig } from '../src/settings/types.js';
import { DEF, KEY, centralConfig, startFakeCentral } from './fixtures/distribution/central.js';
import type { FakeCentral } from './fixtures/distribution/central.js';
import { PLATFORM, Scratch, rejectsWith } from './fixtures/distribution/support.js';
import { startProxy } from './fixtures/distribution/servers.js';
import type { TestCertificate, TestProxy, TestServer } from './fixtures/distribution/servers.js';

const scratch = new Scratch('qp-dist-tls-');
const NO_PROXY_ENV = {};

let fake: FakeCentral;
let cert: TestCertificate;
let zip: Buffer;
let server: TestServer;
let plain: TestServer;
const central = centralConfig;

function client(config: CentralConfig, options: Partial<CentralClientOptions> = {}): CentralClient {
  return new CentralClient(config, { platform: PLATFORM, env: NO_PROXY_ENV, ca: cert.certPem, ...options });
}

before(async () => {
  fake = await startFakeCentral(scratch.dir);
  ({ cert, zip, https: server, http: plain } = fake);
});
after(() => fake.close());

describe('TLS trust and certificate pinning', () => {
  it('a self-signed server without trust is refused, with a fix', async () => {
    const c = new CentralClient(central(server.url), { platform: PLATFORM, env: NO_PROXY_ENV });
    const err = await rejectsWith(
      c.fetchPublicKey(),
      'DIST_DOWNLOAD',
      /TLS handshake with 127\.0\.0\.1:\d+ failed: self[- ]signed certificate/,
    );
    assert.match(err.fix ?? '', /NODE_EXTRA_CA_CERTS/);
  });

  const spkiColons = (): string => (cert.spkiFingerprint.match(/../g) ?? []).join(':');
  const pins = (): Array<[string, string]> => [
    ['certificate, openssl form (colons, upper case)', cert.certFingerprint],
    ['certificate, bare lower-case hex', cert.certFingerprint.replace(/:/g, '').toLowerCase()],
    ['public key (SPKI), bare hex', cert.spkiFingerprint],
    ['public key (SPKI), colons, upper case', spkiColons().toUpperCase()],
    ['several pins, one right', `${'00'.repeat(32)}, ${cert.spkiFingerprint}`],
  ];

  it('right pins pass, with normal trust and with insecureSkipTLSVerify', async () => {
    for (const [label, pin] of pins()) {
      for (const insecure of [false, true]) {
        const c = client(central(server.url, { certFingerprint: pin, insecureSkipTLSVerify: insecure }));
        assert.equal(await c.fetchPublicKey(), KEY, `${label}, insecure=${insecure}`);
      }
    }
  });

  it('a wrong pin fails with both fingerprints and sends no request', async () => {
    const wrong = 'ab'.repeat(32);
    const before = server.requests.length;
    const c = client(central(server.url, { certFingerprint: wrong, insecureSkipTLSVerify: true }));
    const err = await rejectsWith(c.fetchPublicKey(), 'DIST_PINNING', /^certificate pinning failed$/);
    assert.deepEqual(err.details.expected, [(wrong.toUpperCase().match(/../g) ?? []).join(':')]);
    assert.equal(err.details.actualCertificate, cert.certFingerprint);
    assert.equal(err.details.actualPublicKey, spkiColons().toUpperCase());
    assert.equal(server.requests.length, before, 'no HTTP request reached the server');
  });

  it('a malformed pin is refused up front', () => {
    assert.throws(
      () => client(central(server.url, { certFingerprint: 'not-hex' })),
      /invalid certFingerprint "not-hex"/,
    );
  });

  it('insecureSkipTLSVerify is logged loudly', async () => {
    const warnings: string[] = [];
    const logger = createLogger((level, message) => level === 'warn' && warnings.push(message), {
      level: 'trace',
    });
    const c = new CentralClient(central(server.url, { insecureSkipTLSVerify: true }), {
      platform: PLATFORM,
      env: NO_PROXY_ENV,
      logger,
    });
    await c.fetchPublicKey();
    await c.fetchPublicKey();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /TLS CERTIFICATE VERIFICATION IS DISABLED/);
  });
});

describe('proxies', () => {
  let proxy: TestProxy;
  before(async () => {
    proxy = await startProxy();
  });
  after(() => proxy.close());

  it('https through HTTPS_PROXY with a CONNECT tunnel (pinning still applies end to end)', async () => {
    const env = { HTTPS_PROXY: proxy.url };
    const ok = client(central(server.url, { certFingerprint: cert.spkiFingerprint }), { env });
    const d = await ok.downloadDistribution(DEF, scratch.sub('proxied'));
    assert.deepEqual(readFileSync(d.tempPath), zip);
    await d.discard();
    assert.deepEqual(proxy.connects.at(-1), `127.0.0.1:${server.port}`);
    const wrong = client(central(server.url, { certFingerprint: 'cd'.repeat(32) }), { env });
    await rejectsWith(wrong.fetchPublicKey(), 'DIST_PINNING', 'certificate pinning failed');
  });

  it('http through HTTP_PROXY as an absolute-form GET, with proxy credentials', async () => {
    const proxyURL = new URL(proxy.url);
    proxyURL.username = 'user';
    proxyURL.password = 'p@ss';
    const c = client(central(plain.url), { env: { http_proxy: proxyURL.href } });
    assert.equal(await c.fetchPublicKey(), KEY);
    assert.equal(proxy.forwards.at(-1), `${plain.url}gpg.key`);
    assert.equal(proxy.auths.at(-1), `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });

  it('NO_PROXY exempts the host', async () => {
    const seen = proxy.connects.length + proxy.forwards.length;
    const c = client(central(server.url), {
      env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'example.com, 127.0.0.0/8' },
    });
    assert.equal(await c.fetchPublicKey(), KEY);
    assert.equal(proxy.connects.length + proxy.forwards.length, seen);
  });

  it('a proxy that refuses CONNECT is a clear error', async () => {
    // The plain test server is no proxy: it answers CONNECT by closing or with an error status.
    const c = client(central(server.url), { env: { HTTPS_PROXY: plain.url } });
    await rejectsWith(
      c.fetchPublicKey(),
      'DIST_DOWNLOAD',
      /cannot connect to proxy 127\.0\.0\.1:\d+ for 127\.0\.0\.1:\d+: proxy (CONNECT to .* failed|.* closed the connection during CONNECT)/,
    );
  });

  it('proxy selection rules', () => {
    const u = (s: string): URL => new URL(s);
    assert.equal(
      proxyFor(u('https://a.example/'), { HTTPS_PROXY: 'proxy:3128' })?.href,
      'http://proxy:3128/',
    );
    assert.equal(
      proxyFor(u('https://a.example/'), { HTTP_PROXY: 'http://p:1' }),
      undefined,
      'https uses HTTPS_PROXY only',
    );
    assert.equal(proxyFor(u('http://a.example/'), { http_proxy: 'http://p:1' })?.host, 'p:1');
    assert.throws(
      () => proxyFor(u('https://a.example/'), { HTTPS_PROXY: 'socks5://p:1' }),
      /unsupported proxy scheme socks5:/,
    );
    const env = (no: string): Record<string, string> => ({ NO_PROXY: no });
    assert.equal(bypassesProxy(u('https://a.example/'), env('*')), true);
    assert.equal(bypassesProxy(u('https://a.example/'), env('xample')), false, 'suffix match is per label');
    assert.equal(bypassesProxy(u('https://a.example/'), env('example.com,a.example')), true);
    assert.equal(bypassesProxy(u('https://sub.a.example/'), env('.a.example')), true);
    assert.equal(bypassesProxy(u('https://a.example:8443/'), env('a.example:443')), false);
    assert.equal(bypassesProxy(u('https://a.example/'), env('a.example:443')), true);
    assert.equal(bypassesProxy(u('https://10.1.2.3/'), env('10.0.0.0/8')), true);
    assert.equal(bypassesProxy(u('https://[::1]:9/'), env('::1')), true);
    assert.equal(
      bypassesProxy(u('https://127.0.0.1/'), env('localhost')),
      false,
      'no implicit loopback rule',
    );
  });
});
