/** Node.js flags of packed plugins: checked, written into the entrypoint, and applied when geth execs it. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { PluginClient } from '@qplugin/go-plugin/host';
import { QuorumError } from '@qplugin/quorum';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { DEFAULT_NODE_FLAGS, packPlugin } from '../../src/packaging/index.js';
import { checkNodeAccepts, launchHeader, parseNodeFlags } from '../../src/packaging/node-flags.js';
import { HELLO_MAIN, qplugin, scratch } from '../support/cli.js';

const packInput = (pattern: RegExp) => (e: unknown) =>
  e instanceof QuorumError && e.code === 'PACK_INPUT' && pattern.test(e.message);

/** Packs the hello world, unzips it and returns the entrypoint's path. */
async function packed(
  dir: string,
  extra: { nodeFlags?: string[]; entry?: string; codeCache?: boolean } = {},
) {
  const result = await packPlugin({
    name: 'hello',
    version: '1.0.0',
    entry: extra.entry ?? HELLO_MAIN,
    outDir: dir,
    ...(extra.nodeFlags ? { nodeFlags: extra.nodeFlags } : {}),
    ...(extra.codeCache !== undefined ? { codeCache: extra.codeCache } : {}),
  });
  const out = join(dir, 'x');
  mkdirSync(out);
  execFileSync('unzip', ['-q', result.zipPath, '-d', out]);
  return { result, entrypoint: join(out, result.entrypoint) };
}

/**
 * Execs the entrypoint as geth does (no shell, no node in front), with a
 * preload that prints the process's execArgv; without a magic cookie the
 * plugin then explains itself and exits 1.
 */
function execArgvOf(entrypoint: string, dir: string): string[] {
  const probe = join(dir, 'probe.cjs');
  writeFileSync(probe, 'process.stderr.write("EXECARGV " + JSON.stringify(process.execArgv) + "\\n");\n');
  const r = spawnSync(entrypoint, [], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: `--require ${probe}` },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /This binary is a plugin/);
  const line = /EXECARGV (.*)/.exec(r.stderr)?.[1];
  assert.ok(line, r.stderr);
  return JSON.parse(line) as string[];
}

async function greet(entrypoint: string): Promise<string> {
  const client = new PluginClient({ command: entrypoint, handshake: QUORUM_HANDSHAKE });
  await client.start();
  try {
    const cmdline = readFileSync(`/proc/${client.pid}/cmdline`, 'utf8').split('\0');
    for (const flag of DEFAULT_NODE_FLAGS) assert.ok(cmdline.includes(flag), cmdline.join(' '));
    await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"es"}') });
    return (await client.client(PluginGreeting).greeting({ msg: 'Quorum' })).msg;
  } finally {
    await client.kill();
  }
}

describe('Node.js flags: shape and acceptance', () => {
  it('parses space-separated flags and refuses anything a shell would read', () => {
    assert.deepEqual(parseNodeFlags('  --max-semi-space-size=4   --no-warnings '), [
      '--max-semi-space-size=4',
      '--no-warnings',
    ]);
    assert.deepEqual(parseNodeFlags(''), []);
    for (const bad of ['--x=$(id)', '--x;id', '-x', '--x=`id`', '--x="a"', 'node', '--x=a|b', '--x=~']) {
      assert.throws(
        () => parseNodeFlags(bad),
        (e: unknown) =>
          packInput(/is not of the form/)(e) && (e as Error).message.includes(JSON.stringify(bad)),
      );
    }
  });

  it('the header: env node without flags; sh exec with them, which is also valid JavaScript', () => {
    assert.equal(launchHeader([]), '#!/usr/bin/env node\n');
    const header = launchHeader(['--max-semi-space-size=4']);
    assert.equal(header, '#!/bin/sh\n":" //; exec node --max-semi-space-size=4 "$0" "$@"\n');
    // What node runs once it has skipped the #! line: an expression statement and a comment.
    assert.doesNotThrow(() => new Function(header.split('\n')[1]!));
  });

  it('a flag the Node.js does not know: PACK_INPUT naming the flag', async () => {
    await assert.rejects(checkNodeAccepts(process.execPath, ['--qplugin-no-such-flag']), (e: unknown) => {
      assert.ok(e instanceof QuorumError && e.code === 'PACK_INPUT', String(e));
      assert.match(e.message, /refuses the plugin's flags --qplugin-no-such-flag/);
      return true;
    });
    await checkNodeAccepts(process.execPath, [...DEFAULT_NODE_FLAGS]);
  });
});

describe('packPlugin with Node.js flags', () => {
  it('by default an ES module bundle starts node with DEFAULT_NODE_FLAGS, exec’d directly as geth does', async () => {
    const dir = scratch('qp-flags-default-');
    const { result, entrypoint } = await packed(dir, { codeCache: false });
    assert.equal(result.format, 'bundle');
    assert.deepEqual(result.nodeFlags, ['--max-semi-space-size=4', '--min-semi-space-size=4']);
    const text = readFileSync(entrypoint, 'utf8');
    // The entry's plain `#!/usr/bin/env node` is replaced, not kept as a second line.
    assert.ok(text.startsWith(launchHeader(DEFAULT_NODE_FLAGS)), text.slice(0, 120));
    assert.doesNotMatch(text, /#!\/usr\/bin\/env node/);
    assert.deepEqual(execArgvOf(entrypoint, dir), ['--max-semi-space-size=4', '--min-semi-space-size=4']);
    assert.equal(await greet(entrypoint), 'Hola Quorum!');
  });

  it('nodeFlags [] gives the plain #!/usr/bin/env node line', async () => {
    const dir = scratch('qp-flags-none-');
    const { result, entrypoint } = await packed(dir, { nodeFlags: [], codeCache: false });
    assert.deepEqual(result.nodeFlags, []);
    assert.ok(readFileSync(entrypoint, 'utf8').startsWith('#!/usr/bin/env node\n'));
    assert.deepEqual(execArgvOf(entrypoint, dir), []);
  });

  it("keeps an entry's own #! line that asks for more than node, and adds no flags", async () => {
    const dir = scratch('qp-flags-own-');
    const entry = join(dir, 'own.mjs');
    writeFileSync(entry, `#!/usr/bin/env -S node --no-warnings\nimport ${JSON.stringify(HELLO_MAIN)};\n`);
    const { result, entrypoint } = await packed(dir, { entry });
    // The default pack would code-cache it, but a CommonJS loader cannot carry the author's line.
    assert.equal(result.format, 'bundle');
    assert.match(result.formatNote ?? '', /own first line "#!\/usr\/bin\/env -S node --no-warnings" is kept/);
    assert.deepEqual(result.nodeFlags, []);
    assert.ok(readFileSync(entrypoint, 'utf8').startsWith('#!/usr/bin/env -S node --no-warnings\n'));
    assert.deepEqual(execArgvOf(entrypoint, dir), ['--no-warnings']);
  });

  it('a code-cached plugin (the default) starts with the flags and V8 takes its cache', async () => {
    const dir = scratch('qp-flags-cache-');
    const { result, entrypoint } = await packed(dir);
    assert.equal(result.format, 'code-cache');
    assert.deepEqual(result.nodeFlags, ['--max-semi-space-size=4', '--min-semi-space-size=4']);
    assert.deepEqual(execArgvOf(entrypoint, dir), ['--max-semi-space-size=4', '--min-semi-space-size=4']);
    assert.equal(await greet(entrypoint), 'Hola Quorum!');
  });

  it('refuses bad flags and flags for an executable with PACK_INPUT', async () => {
    const dir = scratch('qp-flags-bad-');
    await assert.rejects(
      packPlugin({ name: 'x', version: '1', entry: HELLO_MAIN, outDir: dir, nodeFlags: ['--x=$(id)'] }),
      packInput(/flag "--x=\$\(id\)" is not of the form/),
    );
    await assert.rejects(
      packPlugin({ name: 'x', version: '1', entry: HELLO_MAIN, outDir: dir, nodeFlags: ['--qplugin-nope'] }),
      packInput(/refuses the plugin's flags --qplugin-nope/),
    );
    await assert.rejects(
      packPlugin({
        name: 'x',
        version: '1',
        executable: HELLO_MAIN,
        outDir: dir,
        nodeFlags: ['--no-warnings'],
      }),
      packInput(/Node.js flags go with a TS\/JS entry/),
    );
  });

  it('CLI: --node-flags "" packs without flags; with --executable it is a usage error (exit 2)', async () => {
    const dir = scratch('qp-flags-cli-');
    const ok = await qplugin(
      [
        'pack',
        '--name',
        'x',
        '--version',
        '1',
        '--entry',
        HELLO_MAIN,
        '--node-flags',
        '',
        '--out',
        dir,
        '--json',
      ],
      {},
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual((JSON.parse(ok.stdout) as { nodeFlags: string[] }).nodeFlags, []);
    const human = await qplugin([
      'pack',
      '--name',
      'x',
      '--version',
      '1',
      '--entry',
      HELLO_MAIN,
      '--out',
      dir,
    ]);
    assert.match(human.stdout, /node flags +--max-semi-space-size=4 --min-semi-space-size=4\n/);
    const bad = await qplugin([
      'pack',
      '--name',
      'x',
      '--version',
      '1',
      '--executable',
      HELLO_MAIN,
      '--node-flags=--no-warnings',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--node-flags goes with --entry/);
  });
});
