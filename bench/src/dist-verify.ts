/**
 * The TS side of scenario 6, in its own process, as obtainPlugin does it:
 * stream the zip once into a private copy while hashing it (SHA-256), OpenPGP
 * check of the detached signature (local mode, as geth's
 * --plugins.localverify), safe unpack from the copy. Prints the phase times
 * of each of n runs and the process's peak RSS as JSON.
 *
 *   node dist-verify.js <zip> <baseDir with gpg.key> <workRoot> <n>
 */
import { rm } from 'node:fs/promises';

// The distribution code alone (no gRPC, protobuf or manager code), as a tool that only verifies and unpacks loads it.
import { snapshotArchive, unpackArchive, verifyDistribution } from '@qplugin/quorum/distribution/internal';

import { sampleAnon, selfMaxRssKB } from './proc.js';

const [zipPath, baseDir, root, n] = process.argv.slice(2);
if (!zipPath || !baseDir || !root) throw new Error('usage: dist-verify <zip> <baseDir> <workRoot> <n>');

const samples: Record<string, number>[] = [];
const selfAnon = sampleAnon('self');
for (let i = 0; i < Number(n ?? 1); i++) {
  const t0 = performance.now();
  const t1 = t0; // no separate read: the copy is hashed as it is written
  const snapshot = await snapshotArchive(zipPath, { root });
  const checksum = snapshot.checksum;
  const t2 = performance.now();
  await verifyDistribution({
    mode: 'local',
    checksum,
    definition: { name: 'bench-dist', version: '1.0.0' },
    zipPath,
    baseDir,
  });
  const t3 = performance.now();
  const unpacked = await unpackArchive(snapshot, { root });
  await snapshot.remove();
  const t4 = performance.now();
  samples.push({
    total_ms: t4 - t0,
    read_ms: t1 - t0,
    sha256_ms: t2 - t1,
    verify_ms: t3 - t2,
    unpack_ms: t4 - t3,
    files: unpacked.files.length,
  });
  await rm(unpacked.dir, { recursive: true, force: true });
}
process.stdout.write(
  JSON.stringify({ samples, host_maxrss_kb: selfMaxRssKB(), host_anon_peak_kb: selfAnon() }) + '\n',
  () => process.exit(0),
);
