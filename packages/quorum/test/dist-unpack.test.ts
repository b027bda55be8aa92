/**
 * Safe unpacking against a generated malicious-archive corpus: every unsafe
 * archive is refused with UNPACK_UNSAFE naming the entry, nothing lands
 * outside the workspace (a canary directory stays empty) and the failed
 * workspace is gone. Each archive is refused twice: from memory, and from a
 * file as the manager unpacks a verified distribution (its private copy,
 * read through one descriptor). Plus the good cases: modes, parents,
 * utils_test's zip.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';

import { isQuorumError } from '../src/errors.js';
import { loadPluginMeta, parsePluginMeta, unpackArchive } from '../src/distribution/index.js';
import type { UnpackLimits } from '../src/distribution/index.js';
import { PLATFORM, Scratch, listTree, rejectsWith } from './fixtures/distribution/support.js';
import { buildZip, patchEntry, renameEntry } from './fixtures/distribution/zips.js';

const scratch = new Scratch('qp-dist-unpack-');
const root = join(scratch.dir, 'ws');
const canary = join(scratch.dir, 'canary');
mkdirSync(root);
mkdirSync(canary);

let fileSeq = 0;

/** Refused from memory and from a file alike: the same code, reason and entry. */
async function refused(
  zip: Buffer,
  entry: string | undefined,
  reason: RegExp,
  limits: Partial<UnpackLimits> = {},
) {
  const err = await rejectsWith(unpackArchive(zip, { root, limits }), 'UNPACK_UNSAFE', reason);
  const file = join(scratch.dir, `refused-${++fileSeq}.zip`);
  writeFileSync(file, zip);
  try {
    const fromFile = await rejectsWith(
      unpackArchive({ path: file, size: zip.length }, { root, limits }),
      'UNPACK_UNSAFE',
      reason,
    );
    assert.equal(fromFile.message, err.message, 'the same refusal from a file');
    assert.deepEqual(fromFile.details, err.details);
  } finally {
    rmSync(file);
  }
  if (entry !== undefined) assert.equal(err.details.entry, entry, `entry in details of: ${err.message}`);
  if (entry !== undefined)
    assert.ok(err.message.includes(JSON.stringify(entry)), `message names the entry: ${err.message}`);
  return err;
}

/** yazl refuses these names, so build with a placeholder of equal length and patch it. */
async function zipWithRawName(name: string, data = 'pwned'): Promise<Buffer> {
  const placeholder = 'p'.repeat(Buffer.byteLength(name));
  const zip = await buildZip([
    { name: 'ok.txt', data: 'fine' },
    { name: placeholder, data },
  ]);
  return renameEntry(zip, placeholder, name);
}

describe('unpackArchive: malicious corpus', () => {
  beforeEach(() => {
    // Each case starts and must end with an empty canary and no workspace left behind.
    assert.deepEqual(readdirSync(canary), []);
    assert.deepEqual(readdirSync(root), []);
  });

  const afterCase = (): void => {
    assert.deepEqual(listTree(canary), [], 'nothing written into the canary directory');
    assert.deepEqual(readdirSync(root), [], 'failed workspace removed');
    assert.equal(existsSync(join(scratch.dir, 'pwned')), false);
  };

  it('absolute path', async () => {
    const target = join(canary, 'pwned');
    await refused(await zipWithRawName(target), target, /absolute path/);
    afterCase();
  });

  it('.. traversal into the canary', async () => {
    await refused(
      await zipWithRawName('../../canary/pwned'),
      '../../canary/pwned',
      /parent directory \(\.\.\)/,
    );
    afterCase();
  });

  it('.. in the middle of a path', async () => {
    await refused(await zipWithRawName('a/../../../canary/x'), 'a/../../../canary/x', /parent directory/);
    afterCase();
  });

  it('backslashes (Windows separators)', async () => {
    await refused(await zipWithRawName('..\\..\\canary\\pwned'), '..\\..\\canary\\pwned', /backslash/);
    afterCase();
  });

  it('drive letter', async () => {
    await refused(await zipWithRawName('C:/Windows/evil'), 'C:/Windows/evil', /drive letter/);
    afterCase();
  });

  it('control character in a name', async () => {
    await refused(await zipWithRawName('evil\u0000.txt'), 'evil\u0000.txt', /control character/);
    afterCase();
  });

  it('an entry naming the root itself', async () => {
    await refused(await zipWithRawName('./'), './', /archive root/);
    afterCase();
  });

  it('symlink (S_IFLNK) followed by a write through it', async () => {
    const zip = await buildZip([
      { name: 'link', data: '../../canary', mode: 0o120777, compress: false },
      { name: 'link/pwned', data: 'through the link' },
    ]);
    await refused(zip, 'link', /symbolic link entries are not allowed/);
    afterCase();
  });

  for (const [mode, what] of [
    [0o020644, 'character device'],
    [0o060644, 'block device'],
    [0o010644, 'FIFO'],
    [0o140644, 'socket'],
  ] as const) {
    it(`${what} entry`, async () => {
      const zip = await buildZip([
        { name: 'plugin-meta.json', data: '{}' },
        { name: 'dev', data: '', mode },
      ]);
      await refused(zip, 'dev', new RegExp(`${what} entries are not allowed`));
      afterCase();
    });
  }

  it('duplicate names', async () => {
    const zip = await buildZip([
      { name: 'run.sh', data: 'good', mode: 0o100755 },
      { name: 'run.sh', data: 'evil', mode: 0o100755 },
    ]);
    await refused(zip, 'run.sh', /duplicate name/);
    afterCase();
  });

  it('duplicate names after normalisation (./x vs x, a//b vs a/b)', async () => {
    await refused(await zipWithRawName('./ok.txt'), './ok.txt', /duplicate name/);
    const zip = await buildZip([
      { name: 'a/b', data: '1' },
      { name: 'a/c', data: '2' },
    ]);
    await refused(renameEntry(zip, 'a/c', 'a/b'), 'a/b', /duplicate name/);
    afterCase();
  });

  it('names that collide when case is folded', async () => {
    const zip = await buildZip([
      { name: 'README', data: '1' },
      { name: 'readme', data: '2' },
    ]);
    await refused(zip, 'readme', /duplicate name/);
    afterCase();
  });

  it('a file used as a directory', async () => {
    const zip = await buildZip([
      { name: 'a', data: 'file' },
      { name: 'a/b', data: 'under a file' },
    ]);
    await refused(zip, 'a/b', /parent path \(a\) is a file/);
    afterCase();
  });

  it('too many entries (default 10,000)', async () => {
    const entries = Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}`, data: '', compress: false }));
    const err = await refused(await buildZip(entries), undefined, /10001 entries, over the limit of 10000/);
    assert.equal(err.details.entryCount, 10_001);
    afterCase();
  });

  it('too many entries (configured)', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, data: 'x' }));
    await refused(await buildZip(entries), undefined, /over the limit of 5/, { maxEntries: 5 });
    afterCase();
  });

  it('zip bomb: honest header with a huge compression ratio', async () => {
    const zip = await buildZip([{ name: 'bomb', data: Buffer.alloc(16 * 1024 * 1024) }]);
    assert.ok(zip.length < 64 * 1024, `a tiny compressed stream (${zip.length} bytes)`);
    await refused(zip, 'bomb', /declared compression ratio exceeds 200:1/);
    afterCase();
  });

  it('zip bomb: lying uncompressed-size header, caught while inflating', async () => {
    const zip = await buildZip([{ name: 'bomb', data: Buffer.alloc(16 * 1024 * 1024) }]);
    await refused(
      patchEntry(zip, 'bomb', { uncompressedSize: 100 }),
      'bomb',
      /inflates past its declared size of 100 bytes/,
    );
    afterCase();
  });

  it('zip bomb: a stream that inflates past the total cap while its header claims a small size', async () => {
    const zip = await buildZip([{ name: 'bomb', data: Buffer.alloc(4 * 1024 * 1024) }]);
    // Header: 900 KiB (under the 1 MiB cap and the ratio threshold); the stream holds 4 MiB.
    const lying = patchEntry(zip, 'bomb', { uncompressedSize: 900 * 1024 });
    await refused(
      lying,
      'bomb',
      /inflates past its declared size|archive inflates past the 1048576-byte limit/,
      {
        maxTotalBytes: 1024 * 1024,
      },
    );
    afterCase();
  });

  it('total uncompressed size over the cap (declared)', async () => {
    const zip = await buildZip([
      { name: 'a.bin', data: randomBytes(600 * 1024) },
      { name: 'b.bin', data: randomBytes(600 * 1024) },
    ]);
    await refused(zip, 'b.bin', /declares more than 1048576 bytes/, { maxTotalBytes: 1024 * 1024 });
    afterCase();
  });

  it('overall compression ratio', async () => {
    const zip = await buildZip([{ name: 'zeros', data: Buffer.alloc(512 * 1024) }]);
    await refused(zip, 'zeros', /archive compression ratio exceeds 10:1/, {
      maxEntryRatio: 1e9,
      maxTotalRatio: 10,
      ratioThresholdBytes: 1024,
    });
    afterCase();
  });

  it('encrypted entry', async () => {
    const zip = await buildZip([{ name: 'secret', data: 'xxxx' }]);
    await refused(patchEntry(zip, 'secret', { flags: 0x0801 }), 'secret', /encrypted entry/);
    afterCase();
  });

  it('unsupported compression method', async () => {
    const zip = await buildZip([{ name: 'bz', data: 'xxxx' }]);
    await refused(
      patchEntry(zip, 'bz', { compressionMethod: 12 }),
      'bz',
      /unsupported compression method 12/,
    );
    afterCase();
  });

  it('stored entry whose sizes disagree', async () => {
    const zip = await buildZip([{ name: 'stored', data: 'abcdef', compress: false }]);
    await refused(
      patchEntry(zip, 'stored', { uncompressedSize: 3 }),
      'stored',
      /stored entry sizes disagree/,
    );
    afterCase();
  });

  it('a data stream shorter than its header says', async () => {
    const zip = await buildZip([{ name: 'short', data: 'abcdef' }]);
    await refused(
      patchEntry(zip, 'short', { uncompressedSize: 600 }),
      'short',
      /data is 6 bytes, header says 600/,
    );
    afterCase();
  });

  it('deflated data that does not inflate (the inflater fails mid-entry)', async () => {
    const data = randomBytes(200 * 1024).toString('hex'); // compressible: a real deflate stream
    const zip = await buildZip([{ name: 'broken.bin', data }]);
    const corrupted = Buffer.from(zip);
    // The entry's data starts after its 30-byte local header and its name; block type 3 is invalid.
    const at = 30 + Buffer.byteLength('broken.bin');
    corrupted[at] = 0xff;
    await refused(corrupted, 'broken.bin', /cannot extract: .*invalid/);
    afterCase();
  });

  it('50 bombs refused from a file leave no file open and no workspace', async () => {
    const zip = await buildZip([
      { name: 'bomb', data: Buffer.alloc(2 * 1024 * 1024) },
      { name: 'after', data: 'x' },
    ]);
    const lying = patchEntry(zip, 'bomb', { uncompressedSize: 100 });
    const file = join(scratch.dir, 'bomb.zip');
    writeFileSync(file, lying);
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const before = process.platform === 'linux' ? openFds() : 0;
    try {
      for (let i = 0; i < 50; i++) {
        await rejectsWith(
          unpackArchive({ path: file, size: lying.length }, { root }),
          'UNPACK_UNSAFE',
          /inflates past its declared size of 100 bytes/,
        );
      }
      if (process.platform === 'linux') {
        // yauzl closes its own descriptor asynchronously (fs.close): give the loop turns, not time.
        for (let turn = 0; turn < 1000 && openFds() !== before; turn++) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.equal(openFds(), before, 'file descriptors before = after');
      }
    } finally {
      rmSync(file);
    }
    afterCase();
  });

  it('an entry whose data runs past the end of the archive', async () => {
    const zip = await buildZip([{ name: 'far.bin', data: randomBytes(4096).toString('hex') }]);
    const lying = patchEntry(zip, 'far.bin', { compressedSize: zip.length * 4 });
    // yauzl's local-header read bounds it, before any of its data is read.
    await refused(lying, 'far.bin', /file data overflows file bounds/);
    afterCase();
  });

  it('corrupted data (CRC-32 mismatch)', async () => {
    const zip = await buildZip([{ name: 'data.txt', data: 'hello world', compress: false }]);
    const corrupted = Buffer.from(zip);
    const at = corrupted.indexOf('hello world');
    corrupted.write('HELLO', at);
    await refused(corrupted, 'data.txt', /CRC-32 mismatch/);
    afterCase();
  });

  it('overlapping entries (two names sharing one local file)', async () => {
    const zip = await buildZip([
      { name: 'a1', data: 'one' },
      { name: 'a2', data: 'two' },
    ]);
    const patched = Buffer.from(zip);
    // Point a2's central record at a1's local header.
    const eocd = patched.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const cd = patched.readUInt32LE(eocd + 16);
    const second =
      cd + 46 + patched.readUInt16LE(cd + 28) + patched.readUInt16LE(cd + 30) + patched.readUInt16LE(cd + 32);
    patched.writeUInt32LE(patched.readUInt32LE(cd + 42), second + 42);
    await refused(patched, 'a2', /overlaps another entry/);
    afterCase();
  });

  it('not a zip at all', async () => {
    await refused(Buffer.from('definitely not a zip file'), undefined, /malformed plugin archive/);
    afterCase();
  });

  it('a truncated zip', async () => {
    const zip = await buildZip([{ name: 'x', data: randomBytes(4096) }]);
    await refused(zip.subarray(0, zip.length - 30), undefined, /malformed plugin archive/);
    afterCase();
  });
});

describe('unpackArchive: what is written', () => {
  const root = join(scratch.dir, 'ws-ok');
  mkdirSync(root);

  it('writes entries larger than a read or inflate chunk byte for byte, from memory and from a file', async () => {
    const stored = randomBytes(300 * 1024);
    const deflated = Buffer.from(randomBytes(200 * 1024).toString('hex')); // 400 KiB, compresses ~2:1
    const zip = await buildZip([
      { name: 'stored.bin', data: stored, compress: false },
      { name: 'deflated.txt', data: deflated },
      { name: 'empty.txt', data: '' },
    ]);
    const file = join(scratch.dir, 'large.zip');
    writeFileSync(file, zip);
    try {
      for (const source of [zip, { path: file, size: zip.length }]) {
        const { dir } = await unpackArchive(source, { root });
        try {
          assert.ok(readFileSync(join(dir, 'stored.bin')).equals(stored), 'stored entry');
          assert.ok(readFileSync(join(dir, 'deflated.txt')).equals(deflated), 'deflated entry');
          assert.equal(readFileSync(join(dir, 'empty.txt')).length, 0);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    } finally {
      rmSync(file);
    }
  });

  it('creates a private workspace, parents, and keeps only the exec bit', async () => {
    const zip = await buildZip([
      { name: 'bin/run', data: '#!/bin/sh\n', mode: 0o100755 },
      { name: 'lib/deep/data.txt', data: 'data', mode: 0o100666 },
      { name: 'suid', data: 'x', mode: 0o106777 },
      { name: 'owner-x', data: 'x', mode: 0o100700 },
      { name: 'empty/', directory: true, mode: 0o040777 },
    ]);
    const { dir, files } = await unpackArchive(zip, { root });
    try {
      assert.equal(statSync(dir).mode & 0o777, 0o700, 'workspace is 0700');
      assert.ok(dir.startsWith(root));
      const mode = (p: string): number => statSync(join(dir, p)).mode & 0o7777;
      assert.equal(mode('bin/run'), 0o755);
      assert.equal(mode('lib/deep/data.txt'), 0o644, 'group/other write dropped');
      assert.equal(mode('suid'), 0o755, 'setuid/setgid/sticky dropped');
      assert.equal(mode('owner-x'), 0o755);
      assert.ok(statSync(join(dir, 'empty')).isDirectory());
      assert.equal(readFileSync(join(dir, 'lib/deep/data.txt'), 'utf8'), 'data');
      assert.deepEqual(
        files.map((f) => [f.name, f.mode, f.size]),
        [
          ['bin/run', 0o755, 10],
          ['lib/deep/data.txt', 0o644, 4],
          ['suid', 0o755, 1],
          ['owner-x', 0o755, 1],
        ],
      );
    } finally {
      await import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true }));
    }
  });

  it('a FAT-made entry gets no exec bit (as Go derives its mode from MS-DOS attributes)', async () => {
    const zip = await buildZip([{ name: 'tool', data: 'x', mode: 0o100755 }]);
    const { dir } = await unpackArchive(
      patchEntry(zip, 'tool', { versionMadeBy: 0x0014, externalAttributes: 0x20 }),
      { root },
    );
    assert.equal(statSync(join(dir, 'tool')).mode & 0o777, 0o644);
  });

  it('every start gets a fresh workspace', async () => {
    const zip = await buildZip([{ name: 'a', data: 'x' }]);
    const one = await unpackArchive(zip, { root });
    const two = await unpackArchive(zip, { root });
    assert.notEqual(one.dir, two.dir);
  });

  // §7 utils_test: unpackPlugin on readme.txt, gopher.txt, plugin-meta.json.
  it('utils_test: a typical zip gives a non-empty workspace and metadata; the entrypoint is checked later', async () => {
    const zip = await buildZip([
      { name: 'readme.txt', data: 'This archive contains some text files.' },
      { name: 'gopher.txt', data: 'Gopher names:\nGeorge\nGeoffrey\nGonzo' },
      {
        name: 'plugin-meta.json',
        data: '\n{\n\t"name": "arbitrary-plugin",\n\t"version": "1.0.0",\n\t"entrypoint": "echo",\n\t"parameters": [\n\t\t"hello world"\n\t]\n}\n',
      },
    ]);
    const { dir, files } = await unpackArchive(zip, { root });
    assert.equal(files.length, 3);
    assert.notEqual(dir, '');
    const meta = parsePluginMeta(readFileSync(join(dir, 'plugin-meta.json'), 'utf8'));
    assert.equal(meta.entrypoint, 'echo');
    assert.deepEqual(meta.parameters, ['hello world']);
    const err = await loadPluginMeta(dir, { name: 'arbitrary-plugin', version: '1.0.0' }, PLATFORM).catch(
      (e: unknown) => e,
    );
    assert.ok(isQuorumError(err, 'META_ENTRYPOINT'));
    assert.equal(err.message, 'entry point does not exist');
  });
});
