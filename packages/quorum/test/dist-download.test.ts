/**
 * Plugin Central downloads against a real HTTPS server on 127.0.0.1 with a
 * self-signed certificate made by openssl: URL building (central_test),
 * timeouts, size caps, progress, geth's HTTP error text,
 * and that a failed download leaves nothing in baseDir.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { CentralClient } from '../src/distribution/index.js';
import type { CentralClientOptions, DownloadProgress } from '../src/distribution/index.js';
import type { CentralConfig } from '../src/settings/types.js';
import {
  DEF,
  KEY,
  SIG_PATH,
  ZIP_PATH,
  centralConfig,
  startFakeCentral,
} from './fixtures/distribution/central.js';
import type { FakeCentral } from './fixtures/distribution/central.js';
import { PLATFORM, Scratch, rejectsWith } from './fixtures/distribution/support.js';
import { startServer } from './fixtures/distribution/servers.js';
import type { TestCertificate, TestServer } from './fixtures/distribution/servers.js';

const scratch = new Scratch('qp-dist-dl-');
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

// §7 central_test.
describe('central URLs and downloads (central_test)', () => {
  it('the public key comes from baseURL + publicKeyURI', async () => {
    const before = server.requests.length;
    assert.equal(await client(central(server.url)).fetchPublicKey(), KEY);
    assert.equal(await client(central(server.url, { publicKeyURI: '/gpg.key' })).fetchPublicKey(), KEY);
    assert.deepEqual(server.requests.slice(before), ['/gpg.key', '/gpg.key']);
  });

  it('publicKeyURI is an RFC 3986 reference: …/aa/bb/cc/ + ../../gpg.key is /aa/gpg.key', async () => {
    const c = client(central(`${server.url}aa/bb/cc/`, { publicKeyURI: '../../gpg.key' }));
    await c.fetchPublicKey();
    assert.equal(server.requests.at(-1), '/aa/gpg.key');
  });

  it('over TLS with insecureSkipTLSVerify and a pinned certificate', async () => {
    const c = new CentralClient(
      central(server.url, { insecureSkipTLSVerify: true, certFingerprint: cert.certFingerprint }),
      {
        platform: PLATFORM,
        env: NO_PROXY_ENV,
      },
    );
    assert.equal(await c.fetchPublicKey(), KEY);
  });

  it('default templates: signature and zip paths relative to a base URL with no path', async () => {
    const c = client(central(server.url.replace(/\/$/, '')));
    assert.equal(await c.fetchSignature(DEF), 'signature for the zip');
    assert.equal(server.requests.at(-1), SIG_PATH);
    const dir = scratch.sub('default-templates');
    const d = await c.downloadDistribution(DEF, dir);
    assert.equal(server.requests.at(-1), ZIP_PATH);
    await d.discard();
  });
});

describe('downloadDistribution', () => {
  it('writes a temp file, reports progress, and renames into place only on commit()', async () => {
    const dir = scratch.sub('ok');
    const events: DownloadProgress[] = [];
    const d = await client(central(server.url), { onProgress: (p) => events.push(p) }).downloadDistribution(
      DEF,
      dir,
    );
    // Streamed to the temp file and hashed on the way, never held in memory.
    assert.deepEqual(readFileSync(d.tempPath), zip);
    assert.equal(d.checksum, createHash('sha256').update(zip).digest('hex'));
    assert.equal(d.size, zip.length);
    assert.equal(d.path, join(dir, 'quorum-plugin-hello-world-1.0.0-linux-amd64.zip'));
    assert.match(
      d.tempPath,
      /\/\.quorum-plugin-hello-world-1\.0\.0-linux-amd64\.zip\.[0-9a-f]{12}\.partial$/,
    );
    assert.equal(existsSync(d.path), false, 'not in place before commit');
    assert.ok(events.length >= 2);
    assert.deepEqual(events[0], {
      url: `${server.url.slice(0, -1)}${ZIP_PATH}`,
      received: 0,
      total: zip.length,
    });
    assert.deepEqual(events.at(-1), { url: events[0]?.url, received: zip.length, total: zip.length });
    for (let i = 1; i < events.length; i++)
      assert.ok((events[i]?.received ?? 0) >= (events[i - 1]?.received ?? 0));
    await d.commit();
    assert.deepEqual(readFileSync(d.path), zip);
    assert.deepEqual(readdirSync(dir), ['quorum-plugin-hello-world-1.0.0-linux-amd64.zip']);
  });

  it("404: geth's HTTP error text, nothing left behind", async () => {
    const dir = scratch.sub('404');
    const c = client(central(server.url, { pluginDistPathTemplate: 'nothing/{{.Name}}.zip' }));
    const err = await rejectsWith(
      c.downloadDistribution(DEF, dir),
      'DIST_DOWNLOAD',
      'HTTP GET error: code=404, status=404 Not Found, body=not here',
    );
    assert.equal(err.details.status, 404);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a long error body is truncated', async () => {
    const big = await startServer((_req, res) => {
      res.writeHead(500);
      res.end('x'.repeat(10_000));
    });
    try {
      const err = await rejectsWith(
        client(central(big.url)).fetchPublicKey(),
        'DIST_DOWNLOAD',
        /^HTTP GET error: code=500, status=500 Internal Server Error, body=x+…$/,
      );
      assert.ok(err.message.length < 700);
    } finally {
      await big.close();
    }
  });

  it('a template that leaves the base origin is refused before any request', async () => {
    for (const template of [
      'https://evil.example/{{.Name}}.zip',
      '//evil.example/x.zip',
      `http://127.0.0.1:${server.port}/x.zip`,
    ]) {
      const before = server.requests.length;
      const err = await rejectsWith(
        client(central(server.url, { pluginDistPathTemplate: template })).downloadDistribution(
          DEF,
          scratch.sub('xo'),
        ),
        'DIST_URL',
        /^target host doesnt match base host$/,
      );
      assert.equal(err.details.base, server.url);
      assert.equal(server.requests.length, before);
    }
  });

  it('a redirect to the same origin is followed; to another origin it is refused', async () => {
    const same = client(central(server.url, { publicKeyURI: 'redirect-same' }));
    assert.equal(await same.fetchPublicKey(), KEY);
    const cross = client(central(server.url, { publicKeyURI: 'redirect-cross' }));
    await rejectsWith(cross.fetchPublicKey(), 'DIST_URL', 'target host doesnt match base host');
  });

  it('size cap, from Content-Length', async () => {
    const dir = scratch.sub('cap');
    await rejectsWith(
      client(central(server.url), { maxDistributionBytes: 100 }).downloadDistribution(DEF, dir),
      'DIST_DOWNLOAD',
      `is ${zip.length} bytes, over the 100-byte limit`,
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('size cap, enforced on streamed bytes when there is no Content-Length', async () => {
    const dir = scratch.sub('cap-chunked');
    const c = client(central(server.url, { pluginDistPathTemplate: 'chunked' }), {
      maxDistributionBytes: 5000,
    });
    await rejectsWith(c.downloadDistribution(DEF, dir), 'DIST_DOWNLOAD', 'exceeded the 5000-byte limit');
    assert.deepEqual(readdirSync(dir), []);
  });

  it('idle timeout: a server that stalls mid-body', async () => {
    const dir = scratch.sub('stall');
    const started = Date.now();
    const c = client(central(server.url, { pluginDistPathTemplate: 'stall' }), { idleTimeoutMs: 300 });
    await rejectsWith(c.downloadDistribution(DEF, dir), 'DIST_DOWNLOAD', 'timed out: no data for 300 ms');
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('idle timeout: a server that never answers', async () => {
    const c = client(central(server.url, { publicKeyURI: 'hang' }), { idleTimeoutMs: 300 });
    await rejectsWith(c.fetchPublicKey(), 'DIST_DOWNLOAD', 'timed out: no data for 300 ms');
  });

  it('connect timeout: a server that accepts TCP but never speaks TLS', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const c = client(central(`https://127.0.0.1:${port}/`), { connectTimeoutMs: 300 });
      await rejectsWith(
        c.fetchPublicKey(),
        'DIST_DOWNLOAD',
        `connecting to 127.0.0.1:${port} timed out after 300 ms`,
      );
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('connection refused is a clear DIST_DOWNLOAD', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await rejectsWith(
      client(central(`https://127.0.0.1:${port}/`)).fetchPublicKey(),
      'DIST_DOWNLOAD',
      /cannot connect to 127\.0\.0\.1:\d+: connect ECONNREFUSED/,
    );
  });

  it('a partial download (connection dropped) leaves nothing behind', async () => {
    const dir = scratch.sub('partial');
    const c = client(central(server.url, { pluginDistPathTemplate: 'partial.zip' }));
    await rejectsWith(
      c.downloadDistribution(DEF, dir),
      'DIST_DOWNLOAD',
      /download of .*partial\.zip (failed|ended after)/,
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('plain http is allowed for an http baseURL', async () => {
    const d = await client(central(plain.url)).downloadDistribution(DEF, scratch.sub('http'));
    assert.deepEqual(readFileSync(d.tempPath), zip);
    await d.discard();
  });
});
