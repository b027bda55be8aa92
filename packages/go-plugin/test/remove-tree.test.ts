import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { removeTree, removeTreeAsync } from '../src/protocol/remove-tree.js';

/** A socket directory as a host leaves it: a bound unix socket, a record file, a nested dir. */
async function socketDir(): Promise<{ dir: string; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'qp-rmtree-'));
  writeFileSync(join(dir, 'plugin.json'), '{}');
  mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
  writeFileSync(join(dir, 'nested', 'deeper', 'f'), 'x');
  const server = createServer().listen(join(dir, 'plugin.sock'));
  await once(server, 'listening');
  return { dir, close: () => server.close() };
}

describe('removeTree', () => {
  for (const [name, remove] of [
    ['removeTree', async (p: string) => removeTree(p)],
    ['removeTreeAsync', removeTreeAsync],
  ] as const) {
    it(`${name} removes a socket directory with everything in it`, async () => {
      const { dir, close } = await socketDir();
      try {
        await remove(dir);
        assert.equal(existsSync(dir), false);
      } finally {
        close();
      }
    });

    it(`${name} removes an empty directory (a plugin that removed its own socket)`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'qp-rmtree-empty-'));
      await remove(dir);
      assert.equal(existsSync(dir), false);
    });

    it(`${name} removes a plain file given as the path`, async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'qp-rmtree-file-')), 'f');
      writeFileSync(file, 'x');
      await remove(file);
      assert.equal(existsSync(file), false);
    });

    it(`${name}: two removals of one tree at once both finish, and the tree is gone`, async () => {
      const { dir, close } = await socketDir();
      try {
        for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${i}`), 'x');
        await Promise.all([remove(dir), removeTreeAsync(dir)]);
        assert.equal(existsSync(dir), false);
      } finally {
        close();
      }
    });

    it(`${name} accepts a path that is already gone`, async () => {
      const dir = join(tmpdir(), `qp-rmtree-missing-${process.pid}`);
      await remove(dir);
      assert.equal(existsSync(dir), false);
    });
  }
});
