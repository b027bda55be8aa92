/**
 * resolveConfig: the bytes geth's ReadMultiFormatConfig sends to Init, for
 * every form of `config` (Quorum's settings_test.go cases first), including
 * Go's json.Marshal details.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { QuorumError } from '../src/errors.js';
import { loadSettings, resolveConfig } from '../src/settings/index.js';
import type { RawConfig, ResolveConfigOptions } from '../src/settings/index.js';

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qp-config-'));
  roots.push(dir);
  return dir;
}

async function text(config: RawConfig | undefined, options: ResolveConfigOptions = {}): Promise<string> {
  return Buffer.from(await resolveConfig(config, { env: {}, ...options })).toString('utf8');
}

async function configFails(
  config: RawConfig | undefined,
  message: string,
  options: ResolveConfigOptions = {},
): Promise<QuorumError> {
  const err = await resolveConfig(config, { env: {}, ...options }).then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof QuorumError, String(err));
  assert.equal(err.code, 'SETTINGS_CONFIG');
  assert.ok(err.message.startsWith(message), err.message);
  return err;
}

describe('settings_test.go: ReadMultiFormatConfig', () => {
  it('an array yields JSON bytes with both values', async () => {
    assert.equal(
      await text(['arbitrary value1', 'arbitrary value2']),
      '["arbitrary value1","arbitrary value2"]',
    );
  });

  it('"file://" + tmpfile yields exactly that file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'config.bin');
    const content = Buffer.from([0x7b, 0x00, 0xff, 0x0a, 0x7d]);
    await writeFile(file, content);
    const bytes = await resolveConfig(`file://${file}`, { env: {} });
    assert.deepEqual(Buffer.from(bytes), content);
  });

  it('a plain string is sent unchanged', async () => {
    assert.equal(await text('arbitrary value1'), 'arbitrary value1');
  });

  it('env://KEY1 yields the variable', async () => {
    assert.equal(
      await text('env://KEY1', { env: { KEY1: 'arbitrary config string' } }),
      'arbitrary config string',
    );
  });

  it('env://KEY1?type=file yields the contents of the file it names', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'cfg.json'), '{"language":"es"}');
    assert.equal(
      await text('env://KEY1?type=file', { env: { KEY1: join(dir, 'cfg.json') } }),
      '{"language":"es"}',
    );
  });
});

describe('other config forms', () => {
  it('absent and null give zero bytes', async () => {
    assert.equal((await resolveConfig(undefined)).length, 0);
    assert.equal((await resolveConfig(null)).length, 0);
  });

  it('objects: compact, keys sorted at every level, arrays keep order', async () => {
    const config = { z: 1, a: { y: [3, { d: 1, c: 2 }], b: null }, m: 'x' };
    assert.equal(await text(config), '{"a":{"b":null,"y":[3,{"c":2,"d":1}]},"m":"x","z":1}');
    assert.equal(await text({}), '{}');
    assert.equal(await text([]), '[]');
  });

  it('keys sort by UTF-8 bytes like Go, not by UTF-16 units', async () => {
    // U+FF61 sorts after U+1F600 in UTF-16 (0xFF61 > 0xD83D) but before it in UTF-8 (EF.. < F0..).
    assert.equal(
      await text({ '\u{1F600}': 1, '\uFF61': 2, B: 3, a: 4 }),
      '{"B":3,"a":4,"\uFF61":2,"\u{1F600}":1}',
    );
  });

  it('strings are HTML-escaped like Go (<, >, &, U+2028, U+2029) with Go 1.22 short escapes', async () => {
    assert.equal(
      await text({ html: '<a href="x">&</a>', ls: '\u2028\u2029', ctl: '\u0001\b\f\n\r\t\\', del: '\u007f' }),
      '{"ctl":"\\u0001\\b\\f\\n\\r\\t\\\\","del":"\u007f","html":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e","ls":"\\u2028\\u2029"}',
    );
    assert.equal(await text(['\ud800']), '["\\ufffd"]');
  });

  it('numbers print as Go float64', async () => {
    assert.equal(
      await text([1, 2.5, -0, 1e21, 1e20, 1e-7, 0.000001, 123456789.125, -3]),
      '[1,2.5,-0,1e+21,100000000000000000000,1e-7,0.000001,123456789.125,-3]',
    );
    await configFails([Number.NaN], 'json: unsupported value: NaN');
    await configFails({ x: Number.POSITIVE_INFINITY }, 'json: unsupported value: +Inf');
  });

  it('numbers from a settings file are re-encoded, not copied', async () => {
    const cwd = await tempDir();
    await writeFile(
      join(cwd, 's.json'),
      '{"providers": {"helloworld": {"name": "n", "version": "1", "config": {"b": 1.50, "a": 1E2, "c": 100000000000000000000000, "d": -0.0}}}}',
    );
    const settings = await loadSettings('file://./s.json', { cwd, datadir: 'data' });
    assert.equal(
      await text(settings.providers.get('helloworld')?.config),
      '{"a":100,"b":1.5,"c":1e+23,"d":-0}',
    );
  });

  it('inline JSON text is sent as-is: Go cannot parse it as a URL', async () => {
    assert.equal(await text('{"language":"en"}'), '{"language":"en"}');
    assert.equal(await text('{invalidjson: abc}'), '{invalidjson: abc}');
  });

  it('other schemes, and file:// or env:// strings Go cannot parse, are sent as-is', async () => {
    assert.equal(await text('http://x/y'), 'http://x/y');
    assert.equal(await text('file://bad host/x.json'), 'file://bad host/x.json');
    assert.equal(await text('env://bad|name'), 'env://bad|name');
    assert.equal(await text('file://x/%zz'), 'file://x/%zz');
  });

  it('file://./x and file://x are relative to cwd; the scheme is case-insensitive', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'build', 'bin'), { recursive: true });
    await writeFile(join(cwd, 'build', 'bin', 'a.json'), 'A');
    assert.equal(await text('file://./build/bin/a.json', { cwd }), 'A');
    assert.equal(await text('file://build/bin/a.json', { cwd }), 'A');
    assert.equal(await text('FILE://./build/bin/a.json', { cwd }), 'A');
    assert.equal(await text('file://./build/bin/a%2Ejson', { cwd }), 'A');
  });

  it('env variable names keep their case', async () => {
    assert.equal(await text('env://MyVar', { env: { MyVar: 'mixed', MYVAR: 'upper' } }), 'mixed');
  });

  it('a missing file: Go text with the path as written', async () => {
    const cwd = await tempDir();
    const err = await configFails('file://doesnotexist', 'open doesnotexist: no such file or directory', {
      cwd,
      source: '/etc/settings.json',
      path: 'providers.helloworld.config',
    });
    assert.equal(err.details['file'], '/etc/settings.json');
    assert.equal(err.details['path'], 'providers.helloworld.config');
    assert.equal(err.details['configFile'], join(cwd, 'doesnotexist'));
    assert.match(
      err.message,
      /\(\/etc\/settings\.json at providers\.helloworld\.config: found "file:\/\/doesnotexist"/,
    );
  });

  it('a directory fails at read, as in Go', async () => {
    const cwd = await tempDir();
    await configFails('file://.', 'read .: is a directory', { cwd });
  });

  it('an unset variable: env variable <NAME> not found', async () => {
    const err = await configFails('env://notset', 'env variable notset not found');
    assert.equal(err.details['variable'], 'notset');
  });

  it('env://KEY?type=file with a missing file', async () => {
    await configFails('env://KEY?type=file', 'open /no/such/file: no such file or directory', {
      env: { KEY: '/no/such/file' },
    });
  });

  it('numbers and booleans are unsupported types', async () => {
    const number = await configFails(42, 'unsupported type of config [float64]');
    assert.equal(number.details['goType'], 'float64');
    await configFails(true, 'unsupported type of config [bool]');
  });
});
