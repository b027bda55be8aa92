/** Temp-file helpers shared by the settings tests: write a settings file, load it, expect a failure. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { QuorumError } from '../../src/errors.js';
import type { QuorumErrorCode } from '../../src/errors.js';
import { loadSettings } from '../../src/settings/index.js';
import type { LoadSettingsOptions, Settings } from '../../src/settings/index.js';

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qp-settings-'));
  roots.push(dir);
  return dir;
}

/** Writes `content` as `name` in a fresh directory and loads it with that directory as cwd. */
export async function load(
  name: string,
  content: string,
  options: LoadSettingsOptions = {},
): Promise<Settings & { cwd: string }> {
  const cwd = await tempDir();
  await writeFile(join(cwd, name), content);
  const settings = await loadSettings(`file://./${name}`, { cwd, env: {}, datadir: 'data', ...options });
  return { ...settings, cwd };
}

export async function loadFails(
  name: string,
  content: string,
  code: QuorumErrorCode,
  message: string | RegExp,
  options: LoadSettingsOptions = {},
): Promise<QuorumError> {
  const cwd = await tempDir();
  await writeFile(join(cwd, name), content);
  return rejects(
    loadSettings(`file://./${name}`, { cwd, env: {}, datadir: 'data', ...options }),
    code,
    message,
  );
}

export async function rejects(
  promise: Promise<unknown>,
  code: QuorumErrorCode,
  message: string | RegExp,
): Promise<QuorumError> {
  const err = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof QuorumError, `not a QuorumError: ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (typeof message === 'string') assert.ok(err.message.startsWith(message), `message: ${err.message}`);
  else assert.match(err.message, message);
  return err;
}

export const hello = (extra = ''): string =>
  `{"providers": {"helloworld": {"name": "quorum-plugin-hello-world", "version": "1.0.0"${extra}}}}`;
