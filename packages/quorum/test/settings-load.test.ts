/**
 * loadSettings against real files in temp directories: geth's --plugins URI
 * rules, JSON and TOML, base directory and central defaults, with an error
 * (code + geth's text + location) for every failure. Decoding rules are in
 * settings-decode.test.ts.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { defaultCentral, loadSettings, resolveConfig } from '../src/settings/index.js';
import { hello, load, loadFails, rejects, tempDir } from './support/settings.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/settings/', import.meta.url));

describe('--plugins URI', () => {
  it('file://./x/y.json is relative to the working directory', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'x'));
    await writeFile(join(cwd, 'x', 'y.json'), hello());
    const settings = await loadSettings('file://./x/y.json', { cwd, datadir: 'data' });
    assert.equal(settings.source, join(cwd, 'x', 'y.json'));
    assert.equal(settings.providers.get('helloworld')?.name, 'quorum-plugin-hello-world');
  });

  it('file://x/y.json (host as first path element) is relative too', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'x'));
    await writeFile(join(cwd, 'x', 'y.json'), hello());
    const settings = await loadSettings('file://x/y.json', { cwd, datadir: 'data' });
    assert.equal(settings.source, join(cwd, 'x', 'y.json'));
  });

  it('file:///abs is absolute, whatever the working directory', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 's.json'), hello());
    const settings = await loadSettings(`file://${join(dir, 's.json')}`, { cwd: '/', datadir: dir });
    assert.equal(settings.source, join(dir, 's.json'));
    assert.equal(settings.baseDir, join(dir, 'plugins'));
  });

  it('rejects other schemes with geth text', async () => {
    const err = await rejects(
      loadSettings('http://example.com/s.json'),
      'SETTINGS_URI',
      'plugins: unable to create reader due to unsupported scheme http (',
    );
    assert.equal(err.details['scheme'], 'http');
    assert.equal(err.details['expected'], 'scheme "file"');
    assert.ok(err.fix?.includes('file:///'));
  });

  it('cuts a hostile scheme or URI short in the error text, keeping it whole in details', async () => {
    const scheme = 'tos.'.repeat(4000) + 'x';
    const uri = `${scheme.toUpperCase()}:/s.json`; // Go lowercases the scheme
    const err = await rejects(
      loadSettings(uri),
      'SETTINGS_URI',
      `plugins: unable to create reader due to unsupported scheme ${scheme.slice(0, 200)}... (16001 characters)`,
    );
    assert.ok(err.message.length < 2000, `a message of ${err.message.length} characters`);
    assert.equal(err.details['scheme'], scheme);
    assert.equal(err.details['uri'], uri);
    const bad = `file://bad host/${'a'.repeat(5000)}`;
    const parse = await rejects(
      loadSettings(bad),
      'SETTINGS_URI',
      'plugins: Invalid URL for --plugins due to parse',
    );
    assert.ok(parse.message.length < 2000, `a message of ${parse.message.length} characters`);
    assert.equal(parse.details['uri'], bad);
  });

  it('rejects a bare path: no scheme, so the text ends in a space like geth', async () => {
    const err = await rejects(
      loadSettings('/opt/geth/plugins.json'),
      'SETTINGS_URI',
      'plugins: unable to create reader due to unsupported scheme  (',
    );
    assert.equal(err.details['scheme'], '');
    assert.equal(err.details['found'], 'no scheme');
  });

  it('rejects a URL Go cannot parse', async () => {
    await rejects(
      loadSettings('file://bad host/s.json'),
      'SETTINGS_URI',
      'plugins: Invalid URL for --plugins due to parse "file://bad host/s.json": invalid character " " in host name',
    );
    await rejects(
      loadSettings('://x'),
      'SETTINGS_URI',
      'plugins: Invalid URL for --plugins due to parse "://x": missing protocol scheme',
    );
  });

  it('a missing file fails with the path as geth opens it', async () => {
    const cwd = await tempDir();
    const err = await rejects(
      loadSettings('file://./missing.json', { cwd }),
      'SETTINGS_READ',
      'plugins: unable to create reader due to open missing.json: no such file or directory',
    );
    assert.equal(err.details['file'], join(cwd, 'missing.json'));
    await rejects(
      loadSettings('file://', { cwd }),
      'SETTINGS_READ',
      'plugins: unable to create reader due to open : no such file or directory',
    );
  });

  it('a directory fails at read, as in Go', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'dir.json'));
    await rejects(
      loadSettings('file://./dir.json', { cwd }),
      'SETTINGS_READ',
      'plugins: unable to parse settings due to read dir.json: is a directory',
    );
  });
});

describe('formats', () => {
  it('JSON and TOML fixtures give identical settings', async () => {
    const cwd = await tempDir();
    await copyFile(join(FIXTURES, 'full.json'), join(cwd, 'full.json'));
    await copyFile(join(FIXTURES, 'full.toml'), join(cwd, 'full.toml'));
    const fromJson = await loadSettings('file://./full.json', { cwd });
    const fromToml = await loadSettings('file://./full.toml', { cwd });
    assert.deepEqual(fromJson.warnings, []);
    assert.deepEqual(fromToml.warnings, []);
    assert.deepEqual({ ...fromToml, source: '' }, { ...fromJson, source: '' });
    assert.equal(fromJson.baseDir, join(cwd, 'plugins-dir'));
    assert.deepEqual(fromJson.central, {
      ...defaultCentral(),
      baseURL: 'https://central.example/repo/',
      certFingerprint: 'ab:cd:ef',
      insecureSkipTLSVerify: true,
    });
    assert.deepEqual([...fromJson.providers.keys()], ['helloworld', 'account']);
    assert.deepEqual(fromJson.providers.get('helloworld'), {
      name: 'quorum-plugin-hello-world',
      version: '1.0.0',
      config: { language: 'en', nested: { b: 2, a: [1, 'x'] } },
    });
    assert.equal(fromToml.providers.get('account')?.config, 'file://./account-config.json');
  });

  it('the docs tutorial settings load as written', async () => {
    const cwd = await tempDir();
    await copyFile(join(FIXTURES, 'tutorial.json'), join(cwd, 'geth-plugin-settings.json'));
    const settings = await loadSettings('file://./geth-plugin-settings.json', { cwd });
    assert.equal(settings.baseDir, join(cwd, 'build', 'bin'));
    assert.equal((await stat(settings.baseDir)).isDirectory(), true);
    const config = settings.providers.get('helloworld')?.config;
    assert.equal(config, 'file://./build/bin/hello-world-plugin-config.json');
    // The config file sits in the base dir, as in the tutorial; Init gets its bytes.
    const configFile = join(settings.baseDir, 'hello-world-plugin-config.json');
    await copyFile(join(FIXTURES, 'hello-world-plugin-config.json'), configFile);
    const bytes = await resolveConfig(config, { cwd });
    assert.deepEqual(JSON.parse(Buffer.from(bytes).toString('utf8')), { language: 'en' });
  });

  it('any extension but .toml is JSON', async () => {
    const settings = await load('plugins.conf', hello());
    assert.equal(settings.providers.size, 1);
    await loadFails(
      'plugins.txt',
      'Name = "x"',
      'SETTINGS_PARSE',
      "plugins: unable to parse settings due to invalid character 'N' looking for beginning of value",
    );
  });

  it('a null document configures nothing (Go decodes null as a no-op)', async () => {
    const settings = await load('s.json', 'null');
    assert.equal(settings.providers.size, 0);
    assert.equal(settings.warnings?.length, 1);
  });
});

describe('baseDir', () => {
  it('env://VAR takes the variable (JSON and TOML)', async () => {
    const target = await tempDir();
    const env = { KEY1: join(target, 'from-env') };
    const json = await load('s.json', `{"baseDir": "env://KEY1", ${hello().slice(1)}`, { env });
    assert.equal(json.baseDir, join(target, 'from-env'));
    const toml = await load('s.toml', 'BaseDir = "env://KEY1"\n', { env });
    assert.equal(toml.baseDir, join(target, 'from-env'));
    assert.equal((await stat(toml.baseDir)).isDirectory(), true);
  });

  it('a plain value stays as written (JSON and TOML)', async () => {
    const json = await load('s.json', '{"baseDir": "foo"}');
    assert.equal(json.baseDir, join(json.cwd, 'foo'));
    const toml = await load('s.toml', 'BaseDir = "foo"');
    assert.equal(toml.baseDir, join(toml.cwd, 'foo'));
  });

  it('env://VAR unset falls back to <datadir>/plugins, with a warning', async () => {
    const settings = await load('s.json', '{"baseDir": "env://NOT_SET_ANYWHERE"}', { datadir: 'node1' });
    assert.equal(settings.baseDir, join(settings.cwd, 'node1', 'plugins'));
    assert.match(settings.warnings?.[0] ?? '', /NOT_SET_ANYWHERE is not set/);
  });

  it('an unset env:// name of 9,000 characters is shortened in the warning (fuzz seed 349151056)', async () => {
    const name = 'CFG_' + 'TEFG_'.repeat(1800);
    const settings = await load('s.json', `{"baseDir": "env://${name}"}`, { datadir: 'node1' });
    const warning = settings.warnings?.[0] ?? '';
    assert.match(warning, /CFG_TEFG_.*\.\.\. \(9004 characters\) is not set; using the default/);
    assert.ok(warning.length < 1000, `warning of ${warning.length} characters`);
  });

  it('defaults to <datadir>/plugins, created with parents and mode 0755', async () => {
    const settings = await load('s.json', hello(), { datadir: 'deep/data/dir' });
    const expected = join(settings.cwd, 'deep', 'data', 'dir', 'plugins');
    assert.equal(settings.baseDir, expected);
    const info = await stat(expected);
    assert.equal(info.isDirectory(), true);
    const umask = process.umask();
    assert.equal(info.mode & 0o777, 0o755 & ~umask);
  });

  it('an empty baseDir without a datadir is an error that says so', async () => {
    const err = await loadFails(
      's.json',
      '{"baseDir": ""}',
      'SETTINGS_BASE_DIR',
      'plugins: unable to resolve plugin base dir due to baseDir is empty and no datadir was given',
      { datadir: undefined },
    );
    assert.equal(err.details['path'], 'baseDir');
    assert.equal(err.details['found'], 'an empty baseDir');
    assert.ok(err.fix?.includes('--datadir'));
    await loadFails(
      's.json',
      hello(),
      'SETTINGS_BASE_DIR',
      'plugins: unable to resolve plugin base dir due to baseDir is empty',
      { datadir: '' },
    );
  });

  for (const [doc, found] of [
    ['{"baseDir": 42}', 'number 42'],
    ['{"baseDir": null}', 'null'],
    ['{"baseDir": {"path": "x"}}', 'object'],
    ['{"baseDir": true}', 'boolean true'],
  ] as const) {
    it(`${doc} → not a string`, async () => {
      const err = await loadFails(
        's.json',
        doc,
        'SETTINGS_PARSE',
        'plugins: unable to parse settings due to not a string (',
      );
      assert.equal(err.details['path'], 'baseDir');
      assert.equal(err.details['found'], found);
      assert.equal(err.details['expected'], 'a string');
    });
  }

  it('TOML: a non-string BaseDir is not a string either', async () => {
    await loadFails(
      's.toml',
      'BaseDir = 1',
      'SETTINGS_PARSE',
      'plugins: unable to parse settings due to not a string',
    );
  });

  it('JSON escapes are kept as written, like geth, with a warning', async () => {
    const settings = await load('s.json', '{"baseDir": "a\\\\b"}');
    assert.equal(settings.baseDir, join(settings.cwd, 'a\\\\b'));
    assert.match(settings.warnings?.[0] ?? '', /does not decode/);
  });

  it('a file in the way fails with mkdir ...: not a directory', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'blocker'), '');
    await writeFile(join(cwd, 's.json'), '{"baseDir": "./blocker/sub"}');
    const err = await rejects(
      loadSettings('file://./s.json', { cwd }),
      'SETTINGS_BASE_DIR',
      `plugins: unable to resolve plugin base dir due to mkdir ${join(cwd, 'blocker')}: not a directory`,
    );
    assert.equal(err.details['path'], 'baseDir');
  });

  it('nothing is created when the settings are invalid', async () => {
    const cwd = await tempDir();
    await writeFile(
      join(cwd, 's.json'),
      '{"baseDir": "./never", "providers": {"nope": {"name": "n", "version": "1"}}}',
    );
    await rejects(
      loadSettings('file://./s.json', { cwd }),
      'SETTINGS_UNSUPPORTED_INTERFACE',
      'plugin: [nope] is not supported',
    );
    await assert.rejects(stat(join(cwd, 'never')), { code: 'ENOENT' });
  });
});

describe('central', () => {
  it('absent → geth default object', async () => {
    const settings = await load('s.json', hello());
    assert.deepEqual(settings.central, {
      baseURL: 'https://artifacts.consensys.net/public/quorum-go-plugins/',
      publicKeyURI: 'gpg.key',
      pluginDistPathTemplate: 'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}.zip',
      pluginSigPathTemplate:
        'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}-sha256.checksum.asc',
      certFingerprint: '',
      insecureSkipTLSVerify: false,
    });
  });

  it('partial → only empty baseURL, publicKeyURI and templates are filled', async () => {
    const settings = await load(
      's.json',
      '{"central": {"baseURL": "", "pluginSigPathTemplate": "sig/{{.Name}}.asc", "certFingerprint": "00ff", "insecureSkipTLSVerify": true}}',
    );
    const defaults = defaultCentral();
    assert.deepEqual(settings.central, {
      baseURL: defaults.baseURL,
      publicKeyURI: defaults.publicKeyURI,
      pluginDistPathTemplate: defaults.pluginDistPathTemplate,
      pluginSigPathTemplate: 'sig/{{.Name}}.asc',
      certFingerprint: '00ff',
      insecureSkipTLSVerify: true,
    });
  });

  it('present but empty never defaults certFingerprint or insecureSkipTLSVerify', async () => {
    const settings = await load('s.json', '{"central": {}}');
    assert.equal(settings.central.certFingerprint, '');
    assert.equal(settings.central.insecureSkipTLSVerify, false);
    assert.equal(settings.central.baseURL, defaultCentral().baseURL);
  });

  it('a template outside the supported subset fails at load', async () => {
    const err = await loadFails(
      's.json',
      '{"central": {"pluginDistPathTemplate": "bin/{{.Nmae}}.zip"}}',
      'SETTINGS_PARSE',
      'template: unknown field .Nmae (known: .Name .Version .OS .Arch) in "bin/{{.Nmae}}.zip" at offset 4',
    );
    assert.equal(err.details['path'], 'central.pluginDistPathTemplate');
    assert.equal(err.details['template'], 'bin/{{.Nmae}}.zip');
  });
});
