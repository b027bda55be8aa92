/** `packPlugin({ codeCache })`: a CommonJS bundle + V8 code cache behind a loader, used by a real host. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';

import { PluginClient } from '@qplugin/go-plugin/host';

import { QuorumError } from '@qplugin/quorum';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';
import { DEFAULT_NODE_FLAGS, packPlugin } from '../../src/packaging/index.js';
import { launchHeader } from '../../src/packaging/node-flags.js';
import { HELLO_MAIN, json, qplugin, scratch, show } from '../support/cli.js';

async function greet(entrypoint: string, env: Record<string, string> = {}): Promise<string> {
  const client = new PluginClient({ command: entrypoint, handshake: QUORUM_HANDSHAKE, env });
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

    // The shipped cache is accepted by the Node that packed it (made with --predictable, run without),
    // under the flags the loader starts node with (Node 20 rejects a cache made under other heap flags).
    assert.deepEqual(packed.nodeFlags, [...DEFAULT_NODE_FLAGS]);
    assert.ok(readFileSync(join(out, 'hello.cjs'), 'utf8').startsWith(launchHeader(DEFAULT_NODE_FLAGS)));
    const probe = execFileSync(
      process.execPath,
      [
        ...DEFAULT_NODE_FLAGS,
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

/** V8's verdict on a cache file for the unpacked bundle, in a fresh process of this Node with the loader's flags. */
function accepted(bundle: string, cache: string): boolean {
  const out = execFileSync(
    process.execPath,
    [
      ...DEFAULT_NODE_FLAGS,
      '-e',
      `const vm = require('node:vm'), fs = require('node:fs');
       const s = new vm.Script(fs.readFileSync(${JSON.stringify(bundle)}, 'utf8'), {
         filename: ${JSON.stringify(basename(bundle))}, cachedData: fs.readFileSync(${JSON.stringify(cache)}) });
       process.stdout.write(String(s.cachedDataRejected));`,
    ],
    { encoding: 'utf8' },
  );
  return out === 'false';
}

describe('code cache on a Node.js other than the one that packed it', () => {
  /** An unpacked --code-cache plugin whose loader says another Node packed it. */
  async function foreign(dir: string): Promise<{ loader: string; bundle: string }> {
    const packed = await packPlugin({
      name: 'hello',
      version: '1.0.0',
      entry: HELLO_MAIN,
      outDir: dir,
      codeCache: true,
    });
    const out = join(dir, 'x');
    mkdirSync(out);
    execFileSync('unzip', ['-q', packed.zipPath, '-d', out]);
    const loader = join(out, 'hello.cjs');
    const text = readFileSync(loader, 'utf8');
    const mark = JSON.stringify(`${process.version}-${process.arch}`);
    assert.ok(text.includes(mark), 'the loader records the Node that packed it');
    writeFileSync(loader, text.replace(mark, JSON.stringify('v0.0.0-other')));
    return { loader, bundle: join(out, 'hello.bundle.js') };
  }
  const now = { QPLUGIN_CODE_CACHE_WRITE_MS: '0' };

  it('the first start writes a private cache for this Node; the next starts use it as is', async () => {
    const dir = scratch('qp-codecache-local-');
    const { loader, bundle } = await foreign(dir);
    const cacheDir = join(dir, 'cache');
    assert.equal(await greet(loader, { ...now, QPLUGIN_CODE_CACHE_DIR: cacheDir }), 'Hola Quorum!');
    const files = readdirSync(cacheDir);
    assert.equal(files.length, 1, files.join());
    assert.match(
      files[0]!,
      new RegExp(`^[0-9a-f]{32}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.cache$`),
    );
    const cache = join(cacheDir, files[0]!);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    assert.equal(statSync(cache).mode & 0o777, 0o600);
    assert.ok(accepted(bundle, cache), 'V8 accepts the cache written at the first start');
    const first = readFileSync(cache);
    assert.equal(await greet(loader, { ...now, QPLUGIN_CODE_CACHE_DIR: cacheDir }), 'Hola Quorum!');
    assert.ok(readFileSync(cache).equals(first), 'an accepted cache is not rewritten');
  });

  it('a damaged private cache only costs speed, and is replaced', async () => {
    const dir = scratch('qp-codecache-damaged-');
    const { loader, bundle } = await foreign(dir);
    const cacheDir = join(dir, 'cache');
    assert.equal(await greet(loader, { ...now, QPLUGIN_CODE_CACHE_DIR: cacheDir }), 'Hola Quorum!');
    const cache = join(cacheDir, readdirSync(cacheDir)[0]!);
    writeFileSync(cache, Buffer.alloc(64, 7));
    assert.equal(await greet(loader, { ...now, QPLUGIN_CODE_CACHE_DIR: cacheDir }), 'Hola Quorum!');
    assert.ok(accepted(bundle, cache), 'rewritten with a cache V8 accepts');
  });

  it('a cache directory that group or others can write is not used', async () => {
    const dir = scratch('qp-codecache-open-');
    const { loader } = await foreign(dir);
    const cacheDir = join(dir, 'cache');
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o777);
    assert.equal(await greet(loader, { ...now, QPLUGIN_CODE_CACHE_DIR: cacheDir }), 'Hola Quorum!');
    assert.deepEqual(readdirSync(cacheDir), []);
  });

  it('QPLUGIN_CODE_CACHE_DIR=off: nothing is written, not even to $XDG_CACHE_HOME', async () => {
    const dir = scratch('qp-codecache-off-');
    const { loader } = await foreign(dir);
    const xdg = join(dir, 'xdg');
    mkdirSync(xdg);
    const env = { ...now, QPLUGIN_CODE_CACHE_DIR: 'off', XDG_CACHE_HOME: xdg };
    assert.equal(await greet(loader, env), 'Hola Quorum!');
    assert.deepEqual(readdirSync(xdg), []);
    // Without the switch, $XDG_CACHE_HOME/qplugin/code-cache is the place.
    assert.equal(await greet(loader, { ...now, XDG_CACHE_HOME: xdg }), 'Hola Quorum!');
    assert.equal(readdirSync(join(xdg, 'qplugin', 'code-cache')).length, 1);
  });
});

describe("qplugin pack's default: the code cache when the entry allows it", () => {
  /** Packs `source` (written as an .mjs entry beside the hello world's imports) with `options`. */
  async function packSource(source: string, options: { codeCache?: boolean; entrypoint?: string } = {}) {
    const dir = scratch('qp-codecache-auto-');
    const entry = join(dir, 'entry.mjs');
    writeFileSync(entry, source);
    return {
      entry,
      packed: await packPlugin({ name: 'auto', version: '1.0.0', entry, outDir: dir, ...options }),
    };
  }

  it('an entry without top-level await or import.meta: loader, bundle and cache, <name>.cjs', async () => {
    const { packed } = await packSource(`import ${JSON.stringify(HELLO_MAIN)};\n`);
    assert.equal(packed.format, 'code-cache');
    assert.equal(packed.formatNote, undefined);
    assert.equal(packed.entrypoint, 'auto.cjs');
    assert.equal(packed.meta.entrypoint, 'auto.cjs');
  });

  it('top-level await: an ES module bundle, and the note names the file and line', async () => {
    const { entry, packed } = await packSource(`const x = 1;\nawait Promise.resolve(x);\n`);
    assert.equal(packed.format, 'bundle');
    assert.equal(packed.entrypoint, 'auto.mjs');
    assert.ok(packed.formatNote?.startsWith('top-level await at '), packed.formatNote);
    assert.ok(packed.formatNote?.includes(`${basename(entry)}:2`), packed.formatNote);
  });

  it('import.meta: an ES module bundle (CommonJS would leave it empty); asked for the cache: PACK_BUNDLE', async () => {
    const source = 'console.log(new URL(".", import.meta.url).pathname);\n';
    const { packed } = await packSource(source);
    assert.equal(packed.format, 'bundle');
    assert.match(packed.formatNote ?? '', /^import\.meta at .*entry\.mjs:1: CommonJS leaves it empty$/);
    await assert.rejects(
      packSource(source, { codeCache: true }),
      (e: unknown) =>
        e instanceof QuorumError &&
        e.code === 'PACK_BUNDLE' &&
        /import\.meta at .*entry\.mjs:1/.test(e.message) &&
        /__dirname/.test(e.fix ?? ''),
    );
  });

  it('import.meta in a dependency under node_modules (where esbuild reports no warnings): an ES module bundle', async () => {
    const dir = scratch('qp-codecache-dep-');
    const dep = join(dir, 'node_modules', 'uses-meta');
    mkdirSync(dep, { recursive: true });
    writeFileSync(join(dep, 'package.json'), '{"name":"uses-meta","type":"module","main":"index.js"}');
    writeFileSync(join(dep, 'index.js'), 'export const here = () => import.meta.url;\n');
    const entry = join(dir, 'entry.mjs');
    writeFileSync(
      entry,
      `import { here } from 'uses-meta';\nimport ${JSON.stringify(HELLO_MAIN)};\nhere();\n`,
    );
    const packed = await packPlugin({ name: 'dep', version: '1.0.0', entry, outDir: dir });
    assert.equal(packed.format, 'bundle');
    assert.match(
      packed.formatNote ?? '',
      /^import\.meta at .*node_modules\/uses-meta\/index\.js:1: CommonJS leaves it empty$/,
    );
  });

  it('an entrypoint name other than *.cjs keeps the ES module bundle; a *.cjs name gets the cache', async () => {
    const source = `import ${JSON.stringify(HELLO_MAIN)};\n`;
    const esm = await packSource(source, { entrypoint: 'plugin.mjs' });
    assert.equal(esm.packed.format, 'bundle');
    assert.equal(esm.packed.entrypoint, 'plugin.mjs');
    assert.match(esm.packed.formatNote ?? '', /entrypoint plugin\.mjs is not a \*\.cjs name/);
    const cjs = await packSource(source, { entrypoint: 'plugin.cjs' });
    assert.equal(cjs.packed.format, 'code-cache');
    assert.equal(cjs.packed.entrypoint, 'plugin.cjs');
  });

  it('codeCache: false: an ES module bundle, with no note', async () => {
    const { packed } = await packSource(`import ${JSON.stringify(HELLO_MAIN)};\n`, { codeCache: false });
    assert.equal(packed.format, 'bundle');
    assert.equal(packed.formatNote, undefined);
    assert.equal(packed.entrypoint, 'auto.mjs');
  });

  it('CLI: the format and why it is not code-cached; --code-cache with --no-code-cache or --executable: exit 2', async () => {
    const dir = scratch('qp-codecache-cli-');
    const entry = join(dir, 'tla.mjs');
    writeFileSync(entry, 'await Promise.resolve();\n');
    const text = await qplugin(['pack', '--name', 'tla', '--version', '1', '--entry', entry, '--out', dir]);
    assert.equal(text.code, 0, show(text));
    assert.match(
      text.stdout,
      /format +ES module bundle \(not code-cached: top-level await at .*tla\.mjs:1: CommonJS has none\)/,
    );
    const doc = json(
      await qplugin([
        'pack',
        '--name',
        'hello',
        '--version',
        '1',
        '--entry',
        HELLO_MAIN,
        '--out',
        dir,
        '--no-code-cache',
        '--json',
      ]),
    );
    assert.equal(doc.format, 'bundle');
    assert.equal(doc.entrypoint, 'hello.mjs');
    for (const [args, message] of [
      [
        ['--entry', HELLO_MAIN, '--code-cache', '--no-code-cache'],
        /only one of --code-cache and --no-code-cache/,
      ],
      [['--executable', HELLO_MAIN, '--no-code-cache'], /go with --entry/],
    ] as const) {
      const ran = await qplugin(['pack', '--name', 'x', '--version', '1', '--out', dir, ...args]);
      assert.equal(ran.code, 2, show(ran));
      assert.match(ran.stderr, message);
    }
  });
});
