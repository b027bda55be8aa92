/** `qplugin inspect` on good, sloppy and hostile zips: findings, severities and exit codes. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import type * as Zips from '../../../quorum/test/fixtures/distribution/zips.js';
import { REPO, json, qplugin, scratch, show } from '../support/cli.js';

type PluginZipSpec = Zips.PluginZipSpec;
// The zip builders (and the hostile-zip byte patches) are @qplugin/quorum's test fixtures, built by its project.
const ZIPS = join(REPO, 'packages', 'quorum', 'dist', 'test', 'fixtures', 'distribution', 'zips.js');
const { buildZip, pluginZip, renameEntry } = (await import(pathToFileURL(ZIPS).href)) as typeof Zips;

const dir = scratch('qp-cli-inspect-');

interface Finding {
  code: string;
  message: string;
  entry?: string;
  fix?: string;
}
interface Report {
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
  meta: Record<string, unknown> | null;
  entries: Array<{ name: string; executable: boolean; unsafe: boolean; unixMode: string | null }>;
}

async function inspect(
  fileName: string,
  zip: Buffer,
  ...flags: string[]
): Promise<{ code: number | null; r: Report }> {
  const path = join(dir, fileName);
  writeFileSync(path, zip);
  const ran = await qplugin(['inspect', path, '--json', ...flags]);
  assert.ok(ran.code === 0 || ran.code === 3, show(ran));
  return { code: ran.code, r: json(ran) as unknown as Report };
}

const GOOD = 'quorum-plugin-hello-world-1.0.0-linux-amd64.zip';
const zipOf = (spec: PluginZipSpec = {}): Promise<Buffer> => pluginZip(spec);
const codes = (list: readonly Finding[]): string[] => list.map((f) => f.code);

describe('qplugin inspect', () => {
  it('a good zip: entries, meta, no findings, exit 0', async () => {
    const { code, r } = await inspect(GOOD, await zipOf(), '--strict');
    assert.equal(code, 0);
    assert.deepEqual([r.errors, r.warnings], [[], []]);
    assert.deepEqual(r.meta, {
      name: 'quorum-plugin-hello-world',
      version: '1.0.0',
      entrypoint: 'helloworld',
    });
    assert.deepEqual(
      r.entries.map((e) => [e.name, e.unixMode, e.executable]),
      [
        ['plugin-meta.json', '0o100644', false],
        ['helloworld', '0o100755', true],
      ],
    );
    const human = await qplugin(['inspect', join(dir, GOOD)]);
    assert.equal(human.code, 0, show(human));
    assert.match(human.stdout, /-rwxr-xr-x +\d+ +\d+ +helloworld {2}\*exec/);
    assert.match(human.stdout, /verdict: OK \(0 errors, 0 warnings\)/);
  });

  it('an entrypoint without the exec bit is a warning (exit 0), an error with --strict', async () => {
    const zip = await zipOf({ entrypointMode: 0o100644 });
    const { code, r } = await inspect(GOOD, zip);
    assert.equal(code, 0);
    assert.deepEqual(codes(r.warnings), ['EXEC_BIT']);
    assert.match(r.warnings[0]!.message, /without the exec bit \(mode 0o100644\): geth cannot start it/);
    assert.equal((await inspect(GOOD, zip, '--strict')).code, 3);
  });

  it('unsafe entries are errors with the unpacker’s reasons, exit 3', async () => {
    const base = await zipOf({
      extra: [
        { name: 'abcdefgh', data: 'x' },
        { name: 'link', data: '/etc/passwd', mode: 0o120777 },
        { name: 'HelloWorld', data: 'again' },
      ],
    });
    const { code, r } = await inspect(GOOD, renameEntry(base, 'abcdefgh', '../evil1'));
    assert.equal(code, 3);
    const byEntry = Object.fromEntries(r.errors.map((f) => [f.entry, f]));
    assert.match(byEntry['../evil1']!.message, /parent directory \(\.\.\) in path/);
    assert.match(byEntry.link!.message, /symbolic link entries are not allowed/);
    assert.match(byEntry.HelloWorld!.message, /duplicate name/);
    assert.ok(r.errors.every((f) => f.code === 'UNPACK_UNSAFE'));
    assert.deepEqual(
      r.entries.filter((e) => e.unsafe).map((e) => e.name),
      ['../evil1', 'link', 'HelloWorld'],
    );
    const human = await qplugin(['inspect', join(dir, GOOD)]);
    assert.equal(human.code, 3);
    assert.match(human.stdout, /verdict: REJECTED \(3 errors, 0 warnings\)/);
  });

  it('a file name that does not match the meta is a warning', async () => {
    const other = await inspect('other-plugin-2.0.0.zip', await zipOf());
    assert.equal(other.code, 0);
    assert.deepEqual(codes(other.r.warnings), ['NAME_MISMATCH']);
    assert.match(other.r.warnings[0]!.message, /look for quorum-plugin-hello-world-1\.0\.0-<os>-<arch>\.zip/);

    const meta = { name: 'p', version: '1.0.0', entrypoint: 'helloworld', os: 'linux', arch: 'amd64' };
    const platform = await inspect('p-1.0.0-darwin-amd64.zip', await zipOf({ meta }));
    assert.deepEqual(codes(platform.r.warnings), ['NAME_MISMATCH']);
    assert.match(
      platform.r.warnings[0]!.message,
      /file name says os "darwin" but plugin-meta.json says "linux"/,
    );
    assert.deepEqual(codes((await inspect('p-1.0.0-linux-amd64.zip', await zipOf({ meta }))).r.warnings), []);
  });

  it('a plain <name>-<version>.zip is a warning: geth will not find this (exit 3 with --strict)', async () => {
    const plain = await inspect('quorum-plugin-hello-world-1.0.0.zip', await zipOf());
    assert.equal(plain.code, 0);
    assert.deepEqual(codes(plain.r.warnings), ['PLAIN_NAME']);
    assert.equal(
      plain.r.warnings[0]!.message,
      'file name quorum-plugin-hello-world-1.0.0.zip has no -<os>-<arch>: geth will not find this ' +
        '(geth >= 21.4.1 looks for quorum-plugin-hello-world-1.0.0-<os>-<arch>.zip, then tries to download it and leaves a 0-byte zip behind)',
    );
    assert.equal(
      plain.r.warnings[0]!.fix,
      'Rename it to quorum-plugin-hello-world-1.0.0-<os>-<arch>, e.g. linux-amd64.zip (or pack it again without --plain-name).',
    );
    const meta = { name: 'p', version: '1.0.0', entrypoint: 'helloworld', os: 'darwin', arch: 'arm64' };
    const named = await inspect('p-1.0.0.zip', await zipOf({ meta }), '--strict');
    assert.equal(named.code, 3);
    assert.equal(
      named.r.warnings[0]!.fix,
      'Rename it to p-1.0.0-darwin-arm64.zip (or pack it again without --plain-name).',
    );
    const human = await qplugin(['inspect', join(dir, 'p-1.0.0.zip')]);
    assert.match(human.stdout, /PLAIN_NAME\] .*geth will not find this/);
  });

  it('meta problems are all reported, exit 3', async () => {
    const meta = { version: 1, entrypoint: 'missing', parameters: ['--ok', 2] };
    const { code, r } = await inspect('x.zip', await zipOf({ meta }));
    assert.equal(code, 3);
    const messages = r.errors.map((f) => `${f.code}: ${f.message}`).join('\n');
    assert.match(messages, /META_INVALID: .*"name" is required/);
    assert.match(messages, /META_INVALID: .*"version" is required .* found 1/);
    assert.match(messages, /META_INVALID: .*"parameters" must be an array of strings/);
    assert.match(messages, /META_ENTRYPOINT: entry point does not exist: no missing at the root/);

    const bad = await inspect(
      'y.zip',
      await zipOf({ meta: { name: 'y', version: '1', entrypoint: 'bin/run' } }),
    );
    assert.match(bad.r.errors.map((f) => f.message).join('\n'), /entrypoint must be only alphanumeric value/);
    const none = await inspect('z.zip', await buildZip([{ name: 'run', data: 'x', mode: 0o100755 }]));
    assert.deepEqual(codes(none.r.errors), ['META_INVALID']);
    assert.match(none.r.errors[0]!.message, /plugin-meta.json is missing at the root/);
  });

  it('files in subdirectories are warnings, naming the geth failure when no directory entry precedes', async () => {
    const { code, r } = await inspect(GOOD, await zipOf({ extra: [{ name: 'lib/x.so', data: 'x' }] }));
    assert.equal(code, 0);
    assert.deepEqual(codes(r.warnings), ['NESTED_PATH']);
    assert.match(r.warnings[0]!.message, /lib\/x\.so is in a subdirectory with no directory entry before it/);
  });

  it('a file that is not a zip: malformed, exit 3; a missing file: exit 1', async () => {
    const { code, r } = await inspect(GOOD, Buffer.from('definitely not a zip file'));
    assert.equal(code, 3);
    assert.match(r.errors[0]!.message, /malformed plugin archive/);
    const missing = await qplugin(['inspect', join(dir, 'nope.zip')]);
    assert.equal(missing.code, 1, show(missing));
  });
});
