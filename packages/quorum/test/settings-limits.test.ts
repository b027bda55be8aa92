/**
 * Hostile sizes in a settings file: nesting up to and past Go's 10,000-level
 * JSON limit (a typed error with Go's text, never a stack overflow), the same
 * bound for TOML, and very long values (decoded exactly, shown shortened in
 * messages). Time is not asserted here: bench/experiments/settings-scaling.mjs
 * measures it.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadSettings, resolveConfig } from '../src/settings/index.js';
import { hello, load, loadFails, rejects, tempDir } from './support/settings.js';

const nested = (depth: number, open = '[', close = ']'): string => open.repeat(depth) + close.repeat(depth);
/** `providers.helloworld.config` sits under three objects: a config of depth d nests d + 3 deep. */
const configAt = (depth: number): string => hello(`, "config": ${nested(depth - 3)}`);
const PARSE = 'plugins: unable to parse settings due to';

describe('nesting depth (Go: encoding/json maxNestingDepth = 10000)', () => {
  it('10,000 levels load, and the config reaches Init as Go marshals it', async () => {
    const settings = await load('s.json', configAt(10000));
    const config = settings.providers.get('helloworld')?.config;
    const bytes = await resolveConfig(config);
    assert.equal(Buffer.from(bytes).toString(), nested(9997));
  });

  it("10,001 levels: Go's syntax error, position and the path to the culprit", async () => {
    // The file a scratch Go program decoded (json.NewDecoder(f).Decode(&settings)): Go printed
    // "invalid character '[' exceeded max depth" with SyntaxError.Offset 10060 (1 + index of the bracket).
    const doc = `{"providers":{"helloworld":{"name":"a","version":"1","config":${nested(9998)}}}}`;
    const err = await loadFails(
      's.json',
      doc,
      'SETTINGS_PARSE',
      `${PARSE} invalid character '[' exceeded max depth (`,
    );
    assert.equal(err.details['line'], 1);
    assert.equal(err.details['column'], 10060);
    assert.equal(err.details['goError'], "invalid character '[' exceeded max depth");
    assert.equal(err.details['maxDepth'], 10000);
    assert.match(String(err.details['path']), /^providers\.helloworld\.config(\[0\]){9997}$/);
    assert.match(err.fix ?? '', /at most 10000 nested arrays and objects/);
    // The message shows the start of a long path, not 30,000 characters of it.
    assert.match(err.message, /at providers\.helloworld\.config\[0\]\[0\].*\.\.\. \(\d+ characters\)/);
    assert.ok(err.message.length < 1000, `message length ${err.message.length}`);
  });

  it('objects count like arrays: the 10,001st { fails', async () => {
    const doc = `{"a":`.repeat(10001) + '1' + '}'.repeat(10001);
    const err = await loadFails(
      's.json',
      doc,
      'SETTINGS_PARSE',
      `${PARSE} invalid character '{' exceeded max depth`,
    );
    assert.equal(err.details['column'], 50001);
  });

  it('a million levels, closed or not, fail the same way without exhausting the stack', async () => {
    for (const doc of [nested(1_000_000), '['.repeat(1_000_000), `{"providers":${'['.repeat(200_000)}`]) {
      const err = await loadFails(
        's.json',
        doc,
        'SETTINGS_PARSE',
        `${PARSE} invalid character '[' exceeded max depth`,
      );
      assert.equal(err.details['maxDepth'], 10000);
    }
  });

  it('below the limit, unclosed nesting is still unexpected EOF', async () => {
    await loadFails('s.json', '['.repeat(10000), 'SETTINGS_PARSE', `${PARSE} unexpected EOF`);
  });

  it('a TOML table header 5,000 keys deep loads; past 10,000 it is a typed error', async () => {
    const table = (depth: number): string =>
      `[Providers.helloworld]\nName = "n"\nVersion = "1"\n[Providers.helloworld.Config${'.a'.repeat(depth)}]\nx = 1\n`;
    const settings = await load('s.toml', table(5000));
    let config = settings.providers.get('helloworld')?.config as Record<string, unknown>;
    for (let i = 0; i < 5000; i++) config = config['a'] as Record<string, unknown>;
    assert.deepEqual(config, { x: 1 });
    const err = await loadFails(
      's.toml',
      table(10001),
      'SETTINGS_PARSE',
      `${PARSE} document nests deeper than 10000 levels`,
    );
    assert.equal(err.details['maxDepth'], 10000);
    assert.match(err.fix ?? '', /within 10000 levels/);
  });

  it('TOML dotted keys 100,000 deep: typed error, no stack overflow', async () => {
    await loadFails(
      's.toml',
      `${'a.'.repeat(100_000)}b = 1\n`,
      'SETTINGS_PARSE',
      `${PARSE} document nests deeper than 10000 levels`,
    );
  });
});

describe('long values', () => {
  const big = 'x'.repeat(4 * 1024 * 1024);

  it('a long string with escapes throughout decodes exactly', async () => {
    // More escapes than one join batch, surrogate pairs, and a long plain run.
    const escaped = '\\n\\u00e9\\ud83d\\ude00\\"'.repeat(5000) + big;
    const decoded = '\n\u00e9\u{1f600}"'.repeat(5000) + big;
    const settings = await load('s.json', hello(`, "config": {"k": "${escaped}"}`));
    const config = settings.providers.get('helloworld')?.config as Record<string, string>;
    assert.equal(config['k'], decoded);
    const bytes = await resolveConfig(config);
    assert.equal(Buffer.from(bytes).toString(), JSON.stringify({ k: decoded }));
  });

  it('a control character after 4 MiB is reported at its line and column', async () => {
    const err = await loadFails(
      's.json',
      `{\n"providers": {"helloworld": {"name": "${big}\u0001"}}}`,
      'SETTINGS_PARSE',
      `${PARSE} invalid character '\\x01' in string literal`,
    );
    assert.equal(err.details['line'], 2);
    assert.equal(err.details['column'], 39 + big.length);
  });

  it('a 4 MiB unknown key is warned about with its start only', async () => {
    const settings = await load('s.json', `{"${big}": 1, "providers": {}}`);
    assert.equal(settings.warnings?.length, 1);
    assert.match(
      settings.warnings?.[0] ?? '',
      /unknown key "x{200}\.\.\. \(4194304 characters\)" is ignored$/,
    );
  });

  it('a 4 MiB number out of float64 range: Go text with the number shortened', async () => {
    const err = await loadFails(
      's.json',
      hello(`, "config": {"n": 1${'0'.repeat(4 * 1024 * 1024)}}`),
      'SETTINGS_PARSE',
      `${PARSE} json: cannot unmarshal number 1${'0'.repeat(199)}... (4194305 characters) into Go struct field PluginDefinition.providers.config of type float64`,
    );
    assert.equal(err.details['path'], 'providers.helloworld.config.n');
  });

  it('a 4 MiB baseDir that cannot be created: the message names its start', async () => {
    const err = await loadFails(
      's.json',
      `{"baseDir": "${big}", "providers": {}}`,
      'SETTINGS_BASE_DIR',
      /^plugins: unable to resolve plugin base dir due to mkdir \/.{0,200}\.\.\. \(\d+ characters\): file name too long/,
    );
    assert.ok(err.message.length < 2000, `message length ${err.message.length}`);
  });

  it('percent-escapes throughout a config file:// URL decode like Go', async () => {
    const dir = await tempDir();
    const name = 'a b\u00e9'.repeat(40);
    await writeFile(join(dir, name), 'from the file');
    const url = `file://./${'a%20b%C3%A9'.repeat(40)}`;
    const bytes = await resolveConfig(url, { cwd: dir });
    assert.equal(Buffer.from(bytes).toString(), 'from the file');
  });

  // Found by settings-fuzz.test.ts: the URI was quoted whole in geth's text and in the location.
  it('a 10 KB --plugins URI that does not parse: the message quotes its start', async () => {
    const uri = `file://./${'settings.'.repeat(1200)}%zz`;
    const err = await rejects(
      loadSettings(uri, { cwd: await tempDir(), env: {} }),
      'SETTINGS_URI',
      /^plugins: Invalid URL for --plugins due to parse "file:\/\/\.\/(settings\.)+s?e?t?t?i?n?g?s?\.?\.\.\. \(10812 characters\)": invalid URL escape "%zz"/,
    );
    assert.ok(err.message.length < 1500, `message length ${err.message.length}`);
    assert.equal(err.details['uri'], uri);
  });

  it('a --plugins path too long to open: SETTINGS_READ with the path shortened', async () => {
    const path = `${'settings.'.repeat(1200)}json`;
    const err = await rejects(
      loadSettings(`file://./${path}`, { cwd: await tempDir(), env: {} }),
      'SETTINGS_READ',
      /^plugins: unable to create reader due to open (settings\.)+s?e?t?t?i?n?g?s?\.?\.\.\. \(10804 characters\): file name too long/,
    );
    assert.ok(err.message.length < 1500, `message length ${err.message.length}`);
  });
});
