// Experiment (not part of `npm run bench`): unpack time, CPU time and the
// process's peak RSS of unpackArchive on a ~51 MiB distribution like
// scenario 6's (40 MiB of noise, 16 MiB of log text, a Go binary), 3 unpacks
// in one process. The zip is built once, into /tmp/kx/s6 (or ROOT); WORK sets
// where it unpacks (a tmpfs such as /dev/shm takes the disk out of it).
//   node bench/experiments/unpack-time.mjs
import { createCipheriv } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import yazl from 'yazl';
import { snapshotArchive, unpackArchive } from '@qplugin/quorum/distribution/internal';
const root = process.env.ROOT ?? '/tmp/kx/s6';
mkdirSync(root, { recursive: true });
const zipPath = join(root, 'd.zip');
if (!existsSync(zipPath)) {
  const z = new yazl.ZipFile();
  z.addBuffer(
    createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(40 << 20)),
    'assets/random.bin',
  );
  const lines = [];
  for (let i = 0; lines.length < 200000; i++)
    lines.push(
      `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z level=info msg="block imported" number=${i} hash=${((i * 2654435761) >>> 0).toString(16)}\n`,
    );
  z.addBuffer(Buffer.from(lines.join('')).subarray(0, 16 << 20), 'assets/events.log');
  z.addBuffer(readFileSync('/work/main/interop/go/bin/v1.8.0/plugin'), 'plugin', { mode: 0o100755 });
  z.addBuffer(
    Buffer.from(JSON.stringify({ name: 'x', version: '1.0.0', entrypoint: 'plugin' })),
    'plugin-meta.json',
  );
  const done = new Promise((r) => z.outputStream.pipe(createWriteStream(zipPath)).on('close', r));
  z.end();
  await done;
}
const rss = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const work = process.env.WORK ?? join(root, 'w');
mkdirSync(work, { recursive: true });
for (let i = 0; i < 3; i++) {
  const snap = await snapshotArchive(zipPath, { root: work });
  const t = performance.now();
  const c0 = process.cpuUsage();
  const u = await unpackArchive(snap, { root: work });
  const ms = performance.now() - t;
  const c = process.cpuUsage(c0);
  await snap.remove();
  rmSync(u.dir, { recursive: true, force: true });
  console.log(
    `unpack ${ms.toFixed(1)} ms cpu ${(c.user / 1000).toFixed(0)}+${(c.system / 1000).toFixed(0)} ms, ${u.files.length} files, peak RSS ${rss().toFixed(1)} MB`,
  );
}
