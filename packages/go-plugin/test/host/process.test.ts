/** The one spawner's options: a piped stdin the caller holds, and the SPAWN_FAILED fix text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isGoPluginError } from '../../src/protocol/index.js';
import { spawnPlugin } from '../../src/host/process.js';

const sink = (): { text: () => string; write(c: Buffer): void; end(): void } => {
  let text = '';
  return { text: () => text, write: (c) => void (text += c.toString()), end: () => {} };
};

describe('spawnPlugin', () => {
  it("stdin 'pipe' gives the caller the child's stdin (closing it is EOF for the child)", async () => {
    const out = sink();
    const proc = await spawnPlugin({
      command: process.execPath,
      args: ['-e', "process.stdin.resume(); process.stdin.on('end', () => console.log('stdin closed'))"],
      env: { PATH: process.env.PATH ?? '' },
      stdin: 'pipe',
      stdout: out,
      stderr: sink(),
    });
    assert.ok(proc.child.stdin, 'a stdin stream to hold');
    proc.child.stdin.end();
    assert.deepEqual(await proc.exited, { code: 0, signal: null });
    await proc.closed;
    assert.equal(out.text(), 'stdin closed\n');
  });

  it('a command that cannot start is SPAWN_FAILED with the default fix, or the one given', async () => {
    const input = { command: '/nonexistent/qplugin-host', args: [], env: {}, stderr: sink() };
    await assert.rejects(spawnPlugin(input), (err: unknown) => {
      assert.ok(isGoPluginError(err, 'SPAWN_FAILED'), String(err));
      assert.match(err.message, /ENOENT/);
      assert.match(err.fix ?? '', /interpreter line/);
      return true;
    });
    await assert.rejects(
      spawnPlugin({ ...input, spawnFailedFix: 'the host command comes after --' }),
      (err: unknown) => {
        assert.ok(isGoPluginError(err, 'SPAWN_FAILED'));
        assert.equal(err.fix, 'the host command comes after --');
        return true;
      },
    );
  });
});
