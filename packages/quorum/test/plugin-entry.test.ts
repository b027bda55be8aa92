/**
 * A plugin's entry points load what a plugin needs and nothing else: most of a
 * plugin's start is loading modules (bench/findings.md §2b, §29), and a plugin
 * must never reach the host, manager, gateway, distribution, CLI or packer
 * code (issue 13). `@qplugin/go-plugin/plugin` + `@qplugin/quorum/plugin`, as
 * the hello world imports them, in a fresh process.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { modulesLoadedHere } from './support/modules-here.js';

const NOT_FOR_PLUGINS = [
  /\/node_modules\/(@grpc|openpgp|yauzl|yazl|smol-toml|esbuild|prom-client|@noble|@opentelemetry)\//,
  /\/go-plugin\/dist\/src\/(host|testing)\//,
  /\/quorum\/dist\/src\/(manager|rpc|distribution|settings|observe)\//,
  /\/(cli|conformance)\/dist\//,
  // The plugin serves gRPC on its own HTTP/2 framing (protocol/h2), not node:http2.
  /^node:(http|https|http2|zlib)$/,
];

describe('the plugin entry points', () => {
  it('load the server, the protocol and the service descriptors, and no host, manager, gateway, distribution or CLI code', async () => {
    const urls = await modulesLoadedHere(
      `await import('@qplugin/go-plugin/plugin'); await import('@qplugin/quorum/plugin');`,
    );
    // Positive controls: what a plugin does need is listed.
    assert.ok(
      urls.some((u) => u.endsWith('/go-plugin/dist/src/plugin/serve.js')),
      'serve.js listed',
    );
    assert.ok(
      urls.some((u) => u.endsWith('/quorum/dist/src/generated/init_pb.js')),
      'init_pb.js listed',
    );
    assert.ok(urls.includes('node:tls'), 'node:tls listed');
    assert.deepEqual(
      urls.filter((u) => NOT_FOR_PLUGINS.some((re) => re.test(u))),
      [],
    );
  });
});
