/**
 * plugin-meta.json and the entrypoint: geth's texts where geth has a check,
 * and the seed doc's required fields, settings match and platform match on top.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadPluginMeta, unpackArchive } from '../src/distribution/index.js';
import type { PluginDefinition } from '../src/settings/types.js';
import { PLATFORM, Scratch, rejectsWith } from './fixtures/distribution/support.js';
import { pluginZip } from './fixtures/distribution/zips.js';

const scratch = new Scratch('qp-dist-meta-');
const DEF: PluginDefinition = { name: 'quorum-plugin-hello-world', version: '1.0.0' };

/** A workspace holding `meta` (object or raw text) and, unless told otherwise, an executable `helloworld`. */
function workspace(meta: unknown, options: { entry?: string; mode?: number; raw?: boolean } = {}): string {
  const dir = scratch.sub('ws');
  writeFileSync(join(dir, 'plugin-meta.json'), options.raw ? String(meta) : JSON.stringify(meta));
  const entry = options.entry ?? 'helloworld';
  if (entry !== '') {
    writeFileSync(join(dir, entry), '#!/bin/sh\n');
    chmodSync(join(dir, entry), options.mode ?? 0o755);
  }
  return dir;
}

const good = { name: DEF.name, version: DEF.version, entrypoint: 'helloworld' };

describe('plugin-meta.json', () => {
  it('accepts the hello world metadata and keeps unknown keys', async () => {
    const dir = workspace({ ...good, gitCommit: 'abc123', parameters: ['--flag', 'hello world'] });
    const loaded = await loadPluginMeta(dir, DEF, PLATFORM);
    assert.equal(loaded.executable, join(dir, 'helloworld'));
    assert.deepEqual(loaded.args, ['--flag', 'hello world']);
    assert.equal(loaded.meta.gitCommit, 'abc123');
  });

  it('without parameters the command is the executable alone', async () => {
    const loaded = await loadPluginMeta(workspace(good), DEF, PLATFORM);
    assert.deepEqual(loaded.args, []);
  });

  it('matching os/arch pass', async () => {
    const loaded = await loadPluginMeta(workspace({ ...good, os: 'linux', arch: 'amd64' }), DEF, PLATFORM);
    assert.equal(loaded.meta.os, 'linux');
  });

  it('missing file: geth text', async () => {
    const dir = scratch.sub('empty');
    await rejectsWith(
      loadPluginMeta(dir, DEF, PLATFORM),
      'META_INVALID',
      `open ${dir}/plugin-meta.json: no such file or directory`,
    );
  });

  it('not JSON', async () => {
    await rejectsWith(
      loadPluginMeta(workspace('{"name": ', { raw: true }), DEF, PLATFORM),
      'META_INVALID',
      /is not valid JSON/,
    );
  });

  it('JSON but not an object', async () => {
    await rejectsWith(
      loadPluginMeta(workspace([good]), DEF, PLATFORM),
      'META_INVALID',
      /must hold a JSON object, found array/,
    );
  });

  for (const field of ['name', 'version'] as const) {
    it(`missing ${field}`, async () => {
      const meta: Record<string, unknown> = { ...good };
      delete meta[field];
      const err = await rejectsWith(
        loadPluginMeta(workspace(meta), DEF, PLATFORM),
        'META_INVALID',
        `"${field}" is required`,
      );
      assert.equal(err.details.field, field);
    });
  }

  it('version of the wrong type', async () => {
    await rejectsWith(
      loadPluginMeta(workspace({ ...good, version: 1 }), DEF, PLATFORM),
      'META_INVALID',
      /"version" is required and must be a non-empty string, found 1/,
    );
  });

  it('name differs from the settings definition', async () => {
    const err = await rejectsWith(
      loadPluginMeta(workspace({ ...good, name: 'other-plugin' }), DEF, PLATFORM),
      'META_INVALID',
      'plugin-meta.json name "other-plugin" does not match the settings definition ("quorum-plugin-hello-world")',
    );
    assert.deepEqual([err.details.found, err.details.expected], ['other-plugin', DEF.name]);
  });

  it('version differs from the settings definition', async () => {
    await rejectsWith(
      loadPluginMeta(workspace({ ...good, version: '2.0.0' }), DEF, PLATFORM),
      'META_INVALID',
      'plugin-meta.json version "2.0.0" does not match the settings definition ("1.0.0")',
    );
  });

  it('os mismatch', async () => {
    const err = await rejectsWith(
      loadPluginMeta(workspace({ ...good, os: 'darwin' }), DEF, PLATFORM),
      'META_INVALID',
      'plugin-meta.json os "darwin" does not match this platform ("linux")',
    );
    assert.match(err.fix ?? '', /linux-amd64 build/);
  });

  it('arch mismatch', async () => {
    await rejectsWith(
      loadPluginMeta(workspace({ ...good, arch: 'arm64' }), DEF, PLATFORM),
      'META_INVALID',
      'plugin-meta.json arch "arm64" does not match this platform ("amd64")',
    );
  });

  it('parameters must be an array of strings', async () => {
    await rejectsWith(
      loadPluginMeta(workspace({ ...good, parameters: 'hello' }), DEF, PLATFORM),
      'META_INVALID',
      '"parameters" must be an array of strings',
    );
    const err = await rejectsWith(
      loadPluginMeta(workspace({ ...good, parameters: ['a', 2] }), DEF, PLATFORM),
      'META_INVALID',
      '"parameters" must be an array of strings',
    );
    assert.equal(err.details.field, 'parameters[1]');
  });
});

describe('entrypoint', () => {
  it('not set: geth text', async () => {
    const meta: Record<string, unknown> = { ...good };
    delete meta.entrypoint;
    await rejectsWith(
      loadPluginMeta(workspace(meta), DEF, PLATFORM),
      'META_ENTRYPOINT',
      'plugin-meta.json entry point not set',
    );
    await rejectsWith(
      loadPluginMeta(workspace({ ...good, entrypoint: '' }), DEF, PLATFORM),
      'META_ENTRYPOINT',
      'plugin-meta.json entry point not set',
    );
  });

  // §7 utils_test: isCleanEntryPoint.
  for (const bad of ['x/', 'x\\u00', 'x$', 'x%', 'x%00', '../x', 'a b', '..', '.', '/bin/sh']) {
    it(`unclean ${JSON.stringify(bad)}: geth text`, async () => {
      await rejectsWith(
        loadPluginMeta(workspace({ ...good, entrypoint: bad }, { entry: '' }), DEF, PLATFORM),
        'META_ENTRYPOINT',
        'entrypoint must be only alphanumeric value',
      );
    });
  }

  for (const ok of [
    'filename',
    'filename.exe',
    'entrypoint',
    'entrypoint.exe',
    'my-plugin',
    'my_plugin',
    'run.sh',
  ]) {
    it(`clean ${JSON.stringify(ok)} is accepted`, async () => {
      const loaded = await loadPluginMeta(
        workspace({ ...good, entrypoint: ok }, { entry: ok }),
        DEF,
        PLATFORM,
      );
      assert.equal(loaded.executable.endsWith(`/${ok}`), true);
    });
  }

  it('does not exist: geth text', async () => {
    await rejectsWith(
      loadPluginMeta(workspace(good, { entry: '' }), DEF, PLATFORM),
      'META_ENTRYPOINT',
      'entry point does not exist',
    );
  });

  it('not executable: says how to set the exec bit in the zip', async () => {
    const err = await rejectsWith(
      loadPluginMeta(workspace(good, { mode: 0o644 }), DEF, PLATFORM),
      'META_ENTRYPOINT',
      'entry point helloworld is not executable',
    );
    assert.match(err.fix ?? '', /0100755/);
  });

  it('a directory is not an entrypoint', async () => {
    const dir = workspace(good, { entry: '' });
    mkdirSync(join(dir, 'helloworld'));
    await rejectsWith(
      loadPluginMeta(dir, DEF, PLATFORM),
      'META_ENTRYPOINT',
      'entry point helloworld is not a regular file',
    );
  });

  it('a symlink is not an entrypoint (even to an executable)', async () => {
    const dir = workspace(good, { entry: '' });
    symlinkSync('/bin/sh', join(dir, 'helloworld'));
    await rejectsWith(
      loadPluginMeta(dir, DEF, PLATFORM),
      'META_ENTRYPOINT',
      'entry point helloworld is not a regular file',
    );
  });

  it('a zip without the exec bit fails at the entrypoint check', async () => {
    const { dir } = await unpackArchive(await pluginZip({ entrypointMode: 0o100644 }), { root: scratch.dir });
    await rejectsWith(loadPluginMeta(dir, DEF, PLATFORM), 'META_ENTRYPOINT', 'is not executable');
  });
});
