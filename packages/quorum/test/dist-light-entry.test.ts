/**
 * `@qplugin/quorum/distribution/internal` loads the distribution code alone: a
 * process that only verifies and unpacks (bench S6, tools) must not load the
 * gRPC layers, protobuf, the settings parser or the manager (~25 MB resident
 * on Node 24), nor Plugin Central's HTTP/TLS client (~9 MB), nor openpgp
 * before a signature is checked. Likewise the secp256k1 code stays behind
 * `/account-crypto/internal`. The modules a fresh process has compiled are
 * listed by the inspector (Debugger.enable reports every script already
 * parsed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { modulesLoadedHere } from './support/modules-here.js';

const HEAVY = [
  // Plugin Central's client: HTTP, TLS (~9 MB on Node 24).
  /^node:(https?|http2|tls|_tls_wrap)$/,
  /\/node_modules\/@bufbuild\//,
  /\/node_modules\/@grpc\//,
  /\/node_modules\/@noble\//,
  /\/node_modules\/smol-toml\//,
  /\/node_modules\/openpgp\//,
  /\/go-plugin\/dist\/src\/(host|plugin|testing)\//,
  // The gRPC and yamux layers; the status codes and metadata that RpcError (core/internal) carries are small tables.
  /\/go-plugin\/dist\/src\/protocol\/(yamux\/|grpc\/(?!(status|metadata)\.js$))/,
  /\/quorum\/dist\/src\/(manager|rpc|interfaces|generated|observe)\//,
];

describe('distribution entry point', () => {
  it('loads the distribution modules and yauzl, and none of the gRPC, protobuf, manager, HTTP/TLS or openpgp code', async () => {
    const urls = await modulesLoadedHere(`await import('@qplugin/quorum/distribution/internal');`);
    // Positive control: the listing sees ESM and CommonJS modules of ours and of dependencies.
    assert.ok(
      urls.some((u) => u.endsWith('/quorum/dist/src/distribution/unpack.js')),
      'unpack.js listed',
    );
    assert.ok(
      urls.some((u) => /\/node_modules\/yauzl\/index\.js$/.test(u)),
      'yauzl listed',
    );
    const heavy = urls.filter((u) => HEAVY.some((re) => re.test(u)));
    assert.deepEqual(heavy, []);
  });

  it('the same listing sees the heavy modules when the package root is imported (the check can fail)', async () => {
    const urls = await modulesLoadedHere(`await import('@qplugin/quorum');`);
    assert.ok(urls.some((u) => /\/node_modules\/@bufbuild\/protobuf\//.test(u)));
    assert.ok(urls.some((u) => /\/quorum\/dist\/src\/manager\//.test(u)));
    assert.ok(urls.includes('node:tls'), 'builtins are listed too');
  });

  it('/core/internal (the catalog, JSON text, platform names: what every qplugin command loads) loads none of them', async () => {
    const urls = await modulesLoadedHere(`
      const core = await import('@qplugin/quorum/core/internal');
      if (!core.isQuorumError(new core.QuorumError('UNPACK_UNSAFE', 'x'))) throw new Error('not one class');
    `);
    assert.ok(urls.some((u) => u.endsWith('/quorum/dist/src/errors.js')));
    assert.deepEqual(
      urls.filter((u) => HEAVY.some((re) => re.test(u)) || /\/quorum\/dist\/src\/distribution\//.test(u)),
      [],
    );
  });

  it('errors.js (the catalog every module imports) shares the go-plugin error classes without their gRPC layers', async () => {
    const urls = await modulesLoadedHere(`await import('@qplugin/go-plugin/core/internal');`);
    assert.deepEqual(
      urls.filter((u) => HEAVY.some((re) => re.test(u))),
      [],
    );
    const { QuorumError } = await import('../src/errors.js');
    const { isCodedError } = await import('@qplugin/go-plugin/protocol');
    assert.equal(isCodedError(new QuorumError('UNPACK_UNSAFE', 'x')), true);
  });
});

describe('secp256k1 code', () => {
  const noble = (urls: string[]) => urls.filter((u) => /\/node_modules\/@noble\//.test(u));

  it('the package root and /internal (the gateway, the manager, the CLI) do not load it', async () => {
    assert.deepEqual(
      noble(
        await modulesLoadedHere(`await import('@qplugin/quorum'); await import('@qplugin/quorum/internal');`),
      ),
      [],
    );
  });

  it('/account-crypto/internal does (the check can fail), and derives a known address', async () => {
    const urls = await modulesLoadedHere(`
      const { privateKeyToAddress } = await import('@qplugin/quorum/account-crypto/internal');
      const key = Buffer.from('289c2857d4598e37fb9647507e47a309d6133539bf21a8b9cb6df88fd5232032', 'hex');
      if (privateKeyToAddress(key) !== '0x970e8128ab834e8eac17ab8e3812f010678cf791') throw new Error('wrong address');
    `);
    assert.notDeepEqual(noble(urls), []);
  });
});
