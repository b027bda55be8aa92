/**
 * loadSettings decoding with Go's encoding/json rules (case-insensitive keys,
 * lower-cased interface names, ignored-but-reported unknown keys, first value
 * only) and an error with Go's text, JSON path and position for every type,
 * definition and syntax problem.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { defaultCentral } from '../src/settings/index.js';
import { hello, load, loadFails } from './support/settings.js';

describe('Go decoding rules', () => {
  it('struct keys match case-insensitively (JSON)', async () => {
    const settings = await load(
      's.json',
      '{"BASEDIR": "./b", "Central": {"BASEURL": "https://x/", "PublicKeyUri": "k.asc", "insecureskiptlsverify": true},' +
        ' "PROVIDERS": {"helloworld": {"NAME": "n", "Version": "1", "CONFIG": "c"}}}',
    );
    assert.equal(settings.baseDir, join(settings.cwd, 'b'));
    assert.equal(settings.central.baseURL, 'https://x/');
    assert.equal(settings.central.publicKeyURI, 'k.asc');
    assert.equal(settings.central.insecureSkipTLSVerify, true);
    assert.deepEqual(settings.providers.get('helloworld'), { name: 'n', version: '1', config: 'c' });
    assert.deepEqual(settings.warnings, []);
  });

  it('struct keys match case-insensitively (TOML, including the docs spelling CertFingerPrint)', async () => {
    const settings = await load(
      's.toml',
      'basedir = "./b"\n[central]\nCertFingerPrint = "aa"\n[providers.helloworld]\nname = "n"\nversion = "1"\n',
    );
    assert.equal(settings.central.certFingerprint, 'aa');
    assert.deepEqual(settings.providers.get('helloworld'), { name: 'n', version: '1' });
  });

  it('interface names are lower-cased in JSON and TOML', async () => {
    const json = await load(
      's.json',
      '{"providers": {"HelloWorld": {"name": "n", "version": "1"}, "ACCOUNT": {"name": "a", "version": "2"}}}',
    );
    assert.deepEqual([...json.providers.keys()], ['helloworld', 'account']);
    const toml = await load(
      's.toml',
      '[Providers.HelloWorld]\nName = "n"\nVersion = "1"\n[Providers.ACCOUNT]\nName = "a"\nVersion = "2"\n',
    );
    assert.deepEqual([...toml.providers.keys()], ['helloworld', 'account']);
    // Foo and BAR are lower-cased before the support check, as in geth.
    await loadFails(
      's.json',
      '{"providers": {"Foo": {"name": "n", "version": "1"}}}',
      'SETTINGS_UNSUPPORTED_INTERFACE',
      'plugin: [foo] is not supported',
    );
    await loadFails(
      's.toml',
      '[Providers.BAR]\nName = "n"\nVersion = "1"\n',
      'SETTINGS_UNSUPPORTED_INTERFACE',
      'plugin: [bar] is not supported',
    );
  });

  it('unknown interface: geth text, location and the supported list', async () => {
    const err = await loadFails(
      's.json',
      '{"providers": {\n  "helloworld": {"name": "n", "version": "1"},\n  "somename": {"name": "n", "version": "1"}}}',
      'SETTINGS_UNSUPPORTED_INTERFACE',
      /^plugin: \[somename\] is not supported \(.*s\.json:3:15 at providers\.somename: found interface "somename", expected one of helloworld, security, account, qlighttokenmanager\)$/,
    );
    assert.deepEqual(err.details['unsupported'], ['somename']);
    assert.equal(err.details['path'], 'providers.somename');
    assert.equal(err.details['line'], 3);
  });

  it('a hostile interface key is cut short in the message and kept whole in details', async () => {
    const key = 'x'.repeat(20_000);
    const err = await loadFails(
      's.json',
      `{"providers": {"${key}": {"name": "n", "version": "1"}}}`,
      'SETTINGS_UNSUPPORTED_INTERFACE',
      /^plugin: \[x{200}\.\.\. \(20000 characters\)\] is not supported \(/,
    );
    assert.ok(err.message.length < 1_000, `message of ${err.message.length} characters`);
    assert.equal(err.details['interface'], key);
  });

  it('the qlight README key gets a hint', async () => {
    const err = await loadFails(
      's.json',
      '{"providers": {"qlight-token-manager": {"name": "n", "version": "1"}}}',
      'SETTINGS_UNSUPPORTED_INTERFACE',
      'plugin: [qlight-token-manager] is not supported',
    );
    assert.ok(err.fix?.includes('qlighttokenmanager'));
  });

  it('unknown keys are ignored but reported, with a suggestion', async () => {
    const settings = await load(
      's.json',
      '{"baseDirr": "x", "providers": {"helloworld": {"name": "n", "version": "1", "versoin": "2", "extra": 1}},' +
        ' "central": {"baseUrl": "https://x/", "pinning": "y"}}',
    );
    const warnings = settings.warnings ?? [];
    assert.equal(warnings.length, 4, warnings.join('\n'));
    assert.match(
      warnings[0] ?? '',
      /s\.json:1:2: unknown key "baseDirr" is ignored \(did you mean "baseDir"\?\)$/,
    );
    assert.match(
      warnings[1] ?? '',
      /unknown key "versoin" in providers\.helloworld is ignored \(did you mean "version"\?\)$/,
    );
    assert.match(warnings[2] ?? '', /unknown key "extra" in providers\.helloworld is ignored$/);
    assert.match(warnings[3] ?? '', /unknown key "pinning" in central is ignored$/);
    // baseDirr did not set baseDir: the default applies.
    assert.equal(settings.baseDir, join(settings.cwd, 'data', 'plugins'));
    assert.equal(settings.central.baseURL, 'https://x/');
  });

  it('only the first JSON value is decoded; trailing text is a warning', async () => {
    const settings = await load('s.json', `${hello()}\n{"providers": {}} garbage`);
    assert.equal(settings.providers.size, 1);
    assert.equal(settings.warnings?.length, 1);
    assert.match(
      settings.warnings?.[0] ?? '',
      /s\.json:2:1: text after the first JSON value is ignored \(as geth does\): "\{\\"providers\\": \{\}\} garbage"$/,
    );
  });

  it('repeated keys apply in order and are reported', async () => {
    const settings = await load(
      's.json',
      '{"central": {"baseURL": "https://a/"}, "Central": {"publicKeyURI": "k"},' +
        ' "providers": {"helloworld": {"name": "old", "version": "1"}, "HELLOWORLD": {"name": "new", "version": "2"}}}',
    );
    // central merges (Go reuses the struct); a provider is replaced (Go map element).
    assert.equal(settings.central.baseURL, 'https://a/');
    assert.equal(settings.central.publicKeyURI, 'k');
    assert.deepEqual(settings.providers.get('helloworld'), { name: 'new', version: '2' });
    assert.equal(settings.warnings?.length, 2);
  });

  it('null leaves fields unset: central defaults, config absent, providers cleared', async () => {
    const settings = await load(
      's.json',
      '{"central": null, "providers": {"helloworld": {"name": "n", "version": "1", "config": null}}}',
    );
    assert.deepEqual(settings.central, defaultCentral());
    assert.deepEqual(settings.providers.get('helloworld'), { name: 'n', version: '1' });
    const cleared = await load(
      's.json',
      `{"providers": {"helloworld": {"name": "n", "version": "1"}}, "providers": null}`,
    );
    assert.equal(cleared.providers.size, 0);
  });

  it('config keeps its JSON value; numbers beyond float64 fail as in Go', async () => {
    const settings = await load('s.json', hello(', "config": ["a", {"k": 1.5}, true, null]'));
    assert.deepEqual(settings.providers.get('helloworld')?.config, ['a', { k: 1.5 }, true, null]);
    const err = await loadFails(
      's.json',
      hello(', "config": {"big": 1e400}'),
      'SETTINGS_PARSE',
      'plugins: unable to parse settings due to json: cannot unmarshal number 1e400 into Go struct field PluginDefinition.providers.config of type float64',
    );
    assert.equal(err.details['path'], 'providers.helloworld.config.big');
  });
});

describe('type errors', () => {
  it('version as a number: Go text, JSON path, line and column', async () => {
    const err = await loadFails(
      's.json',
      '{\n  "providers": {\n    "helloworld": {"name": "n", "version": 1}\n  }\n}',
      'SETTINGS_PARSE',
      'plugins: unable to parse settings due to json: cannot unmarshal number into Go struct field PluginDefinition.providers.version of type plugin.Version (',
    );
    assert.match(
      err.message,
      /s\.json:3:44 at providers\.helloworld\.version: found number 1, expected a string\)$/,
    );
    assert.equal(err.details['path'], 'providers.helloworld.version');
    assert.equal(err.details['found'], 'number 1');
    assert.equal(err.details['expected'], 'a string');
    assert.equal(err.details['line'], 3);
  });

  const cases: [string, string, string][] = [
    ['[]', 'array into Go value of type plugin.Settings', ''],
    [
      '{"central": "x"}',
      'string into Go struct field Settings.central of type plugin.PluginCentralConfiguration',
      'central',
    ],
    [
      '{"providers": [{"name": "n"}]}',
      'array into Go struct field Settings.providers of type map[plugin.PluginInterfaceName]plugin.PluginDefinition',
      'providers',
    ],
    [
      '{"providers": {"helloworld": "x"}}',
      'string into Go struct field Settings.providers of type plugin.PluginDefinition',
      'providers.helloworld',
    ],
    [
      '{"providers": {"helloworld": {"name": {}}}}',
      'object into Go struct field PluginDefinition.providers.name of type string',
      'providers.helloworld.name',
    ],
    [
      '{"central": {"insecureSkipTLSVerify": "yes"}}',
      'string into Go struct field PluginCentralConfiguration.central.insecureSkipTLSVerify of type bool',
      'central.insecureSkipTLSVerify',
    ],
    [
      '{"central": {"baseURL": false}}',
      'bool into Go struct field PluginCentralConfiguration.central.baseURL of type string',
      'central.baseURL',
    ],
  ];
  for (const [doc, text, path] of cases) {
    it(`${doc} → cannot unmarshal ${text.split(' ')[0] ?? ''}`, async () => {
      const err = await loadFails(
        's.json',
        doc,
        'SETTINGS_PARSE',
        `plugins: unable to parse settings due to json: cannot unmarshal ${text}`,
      );
      assert.equal(err.details['path'], path === '' ? undefined : path);
    });
  }

  it('providers as a TOML array of tables (the docs mistake) gets a fix', async () => {
    const err = await loadFails(
      's.toml',
      '[[Providers]]\nName = "n"\n',
      'SETTINGS_PARSE',
      'plugins: unable to parse settings due to toml: cannot unmarshal array into Go struct field Settings.providers',
    );
    assert.ok(err.fix?.includes('[Providers.helloworld]'));
  });
});

describe('definitions', () => {
  const cases: [string, string, string, string][] = [
    ['{"helloworld": {"version": "1"}}', 'name', 'no name', 'providers.helloworld.name'],
    ['{"helloworld": {"name": "", "version": "1"}}', 'name', 'an empty string', 'providers.helloworld.name'],
    [
      '{"helloworld": {"name": "n", "version": null}}',
      'version',
      'no version',
      'providers.helloworld.version',
    ],
    [
      '{"helloworld": {"name": "n", "version": ""}}',
      'version',
      'an empty string',
      'providers.helloworld.version',
    ],
    ['{"helloworld": null}', 'name', 'null definition', 'providers.helloworld.name'],
  ];
  for (const [providers, field, found, path] of cases) {
    it(`${providers} → ${field} is required`, async () => {
      const err = await loadFails(
        's.json',
        `{"providers": ${providers}}`,
        'SETTINGS_DEFINITION',
        `plugin definition for helloworld: ${field} is required (`,
      );
      assert.equal(err.details['found'], found);
      assert.equal(err.details['path'], path);
      assert.match(String(err.details['expected']), /^a non-empty string/);
    });
  }
});

describe('syntax errors', () => {
  const cases: [string, string, string, number, number][] = [
    ['json', '{"providers" 1}', "invalid character '1' after object key", 1, 14],
    [
      'json',
      '{"providers": {"helloworld": {"name": "n",}}}',
      "invalid character '}' looking for beginning of object key string",
      1,
      43,
    ],
    ['json', '{"providers": {', 'unexpected EOF', 1, 16],
    ['json', '', 'EOF', 1, 1],
    ['json', '{"a": tru}', "invalid character '}' in literal true (expecting 'e')", 1, 10],
    ['json', '{"a": "x\ny"}', "invalid character '\\n' in string literal", 1, 9],
    ['json', '{"a": [1 2]}', "invalid character '2' after array element", 1, 10],
    ['json', '{"a": -x}', "invalid character 'x' in numeric literal", 1, 8],
    ['json', '{"a": "\\q"}', "invalid character 'q' in string escape code", 1, 9],
  ];
  for (const [, doc, text, line, column] of cases) {
    it(`${JSON.stringify(doc)} → ${text}`, async () => {
      const err = await loadFails(
        's.json',
        doc,
        'SETTINGS_PARSE',
        `plugins: unable to parse settings due to ${text}`,
      );
      assert.equal(err.details['line'], line);
      assert.equal(err.details['column'], column);
      assert.equal(err.details['goError'], text);
    });
  }

  it('a UTF-8 BOM fails as in Go, with a fix', async () => {
    const err = await loadFails(
      's.json',
      `\ufeff${hello()}`,
      'SETTINGS_PARSE',
      "plugins: unable to parse settings due to invalid character 'ï' looking for beginning of value",
    );
    assert.ok(err.fix?.includes('byte order mark'));
  });

  it('the error path says where in the document', async () => {
    const err = await loadFails(
      's.json',
      '{"providers": {"helloworld": {"name": x}}}',
      'SETTINGS_PARSE',
      "plugins: unable to parse settings due to invalid character 'x'",
    );
    assert.equal(err.details['path'], 'providers.helloworld.name');
  });

  it('TOML syntax errors carry line and column', async () => {
    const err = await loadFails(
      's.toml',
      'BaseDir = "x"\nProviders = [\n',
      'SETTINGS_PARSE',
      'plugins: unable to parse settings due to ',
    );
    assert.equal(err.details['format'], 'toml');
    assert.equal(typeof err.details['line'], 'number');
  });
});
