/**
 * What `qplugin` loads before it knows what to do, and what each command
 * loads: `--version`, `--help` and a mistyped command load no command at
 * all, and the distribution commands load no gRPC, protobuf, host, manager or
 * gateway code (on Node 24: `qplugin --version` 340 → 60 ms and 87 → 51 MB
 * when this was written). Fresh processes, their compiled modules listed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

import { modulesLoadedBy } from '@qplugin/go-plugin/testing';

import { REPO } from './support/cli.js';

const DIST = join(REPO, 'packages', 'cli', 'dist', 'src');
const url = (file: string) => JSON.stringify(pathToFileURL(join(DIST, file)).href);

const HEAVY = [
  /\/node_modules\/(@bufbuild|@grpc|openpgp|esbuild|smol-toml|prom-client)\//,
  /\/go-plugin\/dist\/src\/(host|plugin)\//,
  /\/go-plugin\/dist\/src\/protocol\/(yamux\/|h2\/(?!errors\.js$)|grpc\/(?!(status|metadata)\.js$))/,
  /\/quorum\/dist\/src\/(manager|rpc|interfaces|generated|observe)\//,
  /\/conformance\/dist\//,
  /^node:(http|https|http2|tls)$/,
];
const heavy = (urls: string[]) => urls.filter((u) => HEAVY.some((re) => re.test(u)));

/** main(argv) in a fresh process, its stdout and stderr swallowed so the listing is all the probe prints. */
const mainRun = (argv: string[]) => `
  const { main } = await import(${url('main.js')});
  const out = process.stdout.write, err = process.stderr.write;
  process.stdout.write = process.stderr.write = () => true;
  try { await main(${JSON.stringify(argv)}); } finally { process.stdout.write = out; process.stderr.write = err; }
`;

describe('qplugin start-up', () => {
  it('--version, --help and an unknown command load no command module and none of the heavy code', async () => {
    for (const argv of [['--version'], ['--help'], ['no-such-command']]) {
      const urls = await modulesLoadedBy(mainRun(argv));
      assert.ok(
        urls.some((u) => u.endsWith('/cli/dist/src/output.js')),
        'the listing sees our modules',
      );
      assert.deepEqual(
        urls.filter((u) => /\/cli\/dist\/src\/commands\/(?!index\.js$|key-files\.js$)/.test(u)),
        [],
        argv.join(' '),
      );
      assert.deepEqual(heavy(urls), [], argv.join(' '));
    }
  });

  it('the distribution commands (new, pack, keygen, sign, verify, inspect) load none of it either', async () => {
    for (const name of ['new', 'pack', 'keygen', 'sign', 'verify', 'inspect']) {
      const urls = await modulesLoadedBy(
        `const { commands } = await import(${url('commands/index.js')});
         await commands.find((c) => c.name === ${JSON.stringify(name)}).load();`,
      );
      assert.ok(
        urls.some((u) => u.endsWith(`/cli/dist/src/commands/${name}.js`)),
        `${name}'s module is listed`,
      );
      assert.deepEqual(heavy(urls), [], name);
    }
  });

  it('run, which needs the manager and the gateway, does load them (the check can fail)', async () => {
    const urls = await modulesLoadedBy(
      `const { commands } = await import(${url('commands/index.js')});
       await commands.find((c) => c.name === 'run').load();`,
    );
    assert.ok(heavy(urls).some((u) => /@bufbuild/.test(u)));
    assert.ok(heavy(urls).some((u) => /\/quorum\/dist\/src\/manager\//.test(u)));
  });
});
