/**
 * docs/cli.md stays in sync with the CLI: its reference section is exactly
 * what the command definitions render (`npm run docs:cli` rewrites it), the
 * command table lists every command, `--help` prints the same text, and the
 * JSON-RPC table names exactly the methods the gateway serves.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { createPluginManager, loadSettings, pluginApis } from '@qplugin/quorum';

import { commands } from '../src/commands/index.js';
import { help, reference, REFERENCE_BEGIN, REFERENCE_END, withReference } from '../src/help.js';
import { qplugin, REPO, scratch, show } from './support/cli.js';

const DOC = join(REPO, 'docs', 'cli.md');
const doc = readFileSync(DOC, 'utf8');

describe('docs/cli.md', () => {
  it('holds the reference generated from the command definitions', async () => {
    const begin = doc.indexOf(REFERENCE_BEGIN);
    const end = doc.indexOf(REFERENCE_END);
    assert.ok(begin >= 0 && end > begin, 'docs/cli.md has the generated reference markers');
    assert.equal(
      doc.slice(begin, end + REFERENCE_END.length),
      await reference(),
      'docs/cli.md is stale: run npm run docs:cli',
    );
  });

  it('lists every command in its table, and each --help is what the reference shows', async () => {
    for (const entry of commands) {
      assert.ok(doc.includes(`| \`${entry.name}\` |`), `the command table lists ${entry.name}`);
    }
    const check = await commands.find((c) => c.name === 'pack')!.load();
    const ran = await qplugin(['pack', '--help']);
    assert.equal(ran.code, 0, show(ran));
    assert.equal(ran.stdout, `${help(check)}\n`);
  });

  it('withReference replaces the section, or appends one to a doc without it', async () => {
    const generated = await reference();
    assert.equal(withReference(doc, generated), doc);
    const begin = doc.indexOf(REFERENCE_BEGIN);
    const after = doc.indexOf(REFERENCE_END) + REFERENCE_END.length;
    const stale = `${doc.slice(0, begin)}${REFERENCE_BEGIN}\nold text\n${REFERENCE_END}${doc.slice(after)}`;
    assert.equal(withReference(stale, generated), doc);
    assert.equal(withReference('# title\n', generated), `# title\n\n${generated}\n`);
  });

  it('documents exactly the JSON-RPC methods the gateway serves', async () => {
    const dir = scratch('qp-cli-help-');
    const file = join(dir, 'settings.json');
    const providers = {
      helloworld: { name: 'h', version: '1.0.0' },
      account: { name: 'a', version: '1.0.0' },
    };
    writeFileSync(file, JSON.stringify({ baseDir: join(dir, 'plugins'), providers }));
    const manager = createPluginManager({
      settings: await loadSettings(`file://${file}`),
      verification: 'skip',
    });
    const served = pluginApis(manager)
      .flatMap((api) => Object.keys(api.methods).map((m) => `${api.namespace}_${m}`))
      .sort();
    const section = doc.slice(doc.indexOf('### JSON-RPC methods'), doc.indexOf('### Metrics, health'));
    const documented = [...section.matchAll(/^\| `([\w@]+_\w+)` \|/gm)].map((m) => m[1]!).sort();
    assert.deepEqual(documented, served);
  });
});
