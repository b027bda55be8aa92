/** `packPlugin({ codeCache })`: a CommonJS bundle + V8 code cache behind a loader, used by a real host. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { PluginClient } from '@qplugin/go-plugin/host';

import { QuorumError } from '../src/errors.js';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '../src/plugin.js';
import { packPlugin } from '../src/packaging/index.js';
import { HELLO_MAIN, scratch } from './cli-support.js';

async function greet(entrypoint: string): Promise<string> {
  const client = new PluginClient({ command: entrypoint, handshake: QUORUM_HANDSHAKE });
  await client.start();
  try {
    await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"es"}') });
    return (await client.client(PluginGreeting).greeting({ msg: 'Quorum' })).msg;
  } finally {
    await client.kill();
  }
}

describe('packPlugin with a V8 code cache', () => {
  it('ships loader, bundle and cache; the loader is the executable entrypoint and the plugin works', async () => {
    const dir = scratch('qp-codecache-');
    const packed = await packPlugin({
      name: 'hello',
      version: '1.0.0',
      entry: HELLO_MAIN,
      outDir: dir,
      codeCache: true,
    });
    assert.equal(packed.entrypoint, 'hello.cjs');
    const out = join(dir, 'x');
    mkdirSync(out);
    execFileSync('unzip', ['-q', packed.zipPath, '-d', out]);
    assert.deepEqual(readdirSync(out).sort(), [
      'hello.bundle.js',
      'hello.bundle.js.cache',
      'hello.cjs',
      'plugin-meta.json',
    ]);
    assert.ok(statSync(join(out, 'hello.cjs')).mode & 0o100, 'entrypoint is executable');
    assert.ok(statSync(join(out, 'hello.bundle.js.cache')).size > 10_000, 'a real cache, not an empty file');
    assert.equal(await greet(join(out, 'hello.cjs')), 'Hola Quorum!');

    // The shipped cache is accepted by the Node that packed it (made with --predictable, run without).
    const probe = execFileSync(
      process.execPath,
      [
        '-e',
        `const vm = require('node:vm'), fs = require('node:fs');
         const file = ${JSON.stringify(join(out, 'hello.bundle.js'))};
         const s = new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file, cachedData: fs.readFileSync(file + '.cache') });
         process.stdout.write(String(s.cachedDataRejected));`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(probe, 'false');

    // A cache V8 rejects (other Node version, corruption) only costs speed.
    writeFileSync(join(out, 'hello.bundle.js.cache'), Buffer.alloc(64, 7));
    assert.equal(await greet(join(out, 'hello.cjs')), 'Hola Quorum!');
  });

  it('is byte-reproducible: the cache is made with V8 --predictable', async () => {
    const dir = scratch('qp-codecache-repro-');
    const zips = [];
    for (const out of ['a', 'b']) {
      const packed = await packPlugin({
        name: 'hello',
        version: '1.0.0',
        entry: HELLO_MAIN,
        outDir: join(dir, out),
        codeCache: true,
      });
      zips.push(packed.checksum);
    }
    assert.equal(zips[0], zips[1]);
  });

  it('explains that a CommonJS bundle cannot hold top-level await', async () => {
    const dir = scratch('qp-codecache-tla-');
    const entry = join(dir, 'tla.mjs');
    writeFileSync(entry, 'await Promise.resolve();\n');
    await assert.rejects(
      packPlugin({ name: 'tla', version: '1.0.0', entry, outDir: dir, codeCache: true }),
      (e: unknown) => e instanceof QuorumError && e.code === 'PACK_BUNDLE' && /void serve/.test(e.fix ?? ''),
    );
  });
});
