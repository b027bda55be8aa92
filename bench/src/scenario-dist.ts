/**
 * Scenario 6: verify + unpack a ~50 MB plugin distribution (SHA-256, OpenPGP
 * detached signature, unzip) with @qplugin/quorum vs the native tools on the
 * same files: sha256sum, gpg --verify (key imported beforehand, as a keyring
 * is), unzip. The zip is made by packPlugin (Go plugin binary + incompressible
 * and compressible assets) and signed with signChecksum.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { packPlugin } from '@qplugin/cli';
import { generateSigningKey, signChecksum } from '@qplugin/quorum';

import type { ScenarioResult, Settings } from './common.js';
import { interleave, metric, num, samplesOf } from './common.js';
import type { Peers } from './prepare.js';
import { BENCH } from './prepare.js';
import { runHarness, SYNC_TOOL_TIMEOUT_MS } from './proc.js';
import type { Json } from './proc.js';
import { median, round } from './stats.js';

/** Deterministic incompressible bytes: AES-CTR keystream. */
const noise = (bytes: number): Buffer =>
  createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(bytes));

/** Log-like text, compressible about 8:1 like real assets. */
function text(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z level=info msg="block imported" number=${i} hash=${((i * 2654435761) >>> 0).toString(16)}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

interface Fixture {
  dir: string;
  zip: string;
  sig: string;
  home: string;
  /** The checksum string alone (what the signature covers), for a standalone gpg run. */
  checksumFile: string;
  zipBytes: number;
}

async function fixture(peers: Peers, totalMB: number): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'qplugin-bench-dist-'));
  const assets = join(dir, 'assets');
  mkdirSync(assets);
  // The Go binary deflates to ~8 MB and the text ~8:1; noise fills up to the size asked for.
  const noiseMB = Math.max(1, totalMB - 10);
  writeFileSync(join(assets, 'random.bin'), noise(noiseMB << 20));
  writeFileSync(join(assets, 'events.log'), text(16 << 20));
  const packed = await packPlugin({
    name: 'bench-dist',
    version: '1.0.0',
    executable: peers.goPlugin[0]!,
    files: {
      'assets/random.bin': join(assets, 'random.bin'),
      'assets/events.log': join(assets, 'events.log'),
    },
    outDir: dir,
  });
  const key = await generateSigningKey({ name: 'qplugin bench', email: 'bench@example.invalid' });
  const sig = `${packed.zipPath}.sha256sum.asc`;
  writeFileSync(sig, await signChecksum(packed.checksum, key.privateKey));
  writeFileSync(join(dir, 'gpg.key'), key.publicKey);
  const home = join(dir, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  const imp = spawnSync('gpg', ['--homedir', home, '--batch', '--quiet', '--import', join(dir, 'gpg.key')], {
    timeout: SYNC_TOOL_TIMEOUT_MS,
  });
  if (imp.status !== 0)
    throw new Error(
      `gpg --import failed (${imp.signal ?? imp.status}): ${imp.error?.message ?? String(imp.stderr)}`,
    );
  const checksumFile = join(dir, 'checksum');
  writeFileSync(checksumFile, packed.checksum);
  return { dir, zip: packed.zipPath, sig, home, checksumFile, zipBytes: packed.bytes };
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: SYNC_TOOL_TIMEOUT_MS,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} failed (${r.signal ?? r.status}): ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** sha256sum → checksum file → gpg --verify → unzip, each a process, as a shell script would. */
function nativeOnce(f: Fixture): Record<string, number> {
  const out = mkdtempSync(join(f.dir, 'native-'));
  const t0 = performance.now();
  const checksum = run('sha256sum', [f.zip]).split(' ')[0]!;
  const t1 = performance.now();
  const data = join(out, 'checksum');
  writeFileSync(data, checksum);
  run('gpg', ['--homedir', f.home, '--batch', '--quiet', '--verify', f.sig, data]);
  const t2 = performance.now();
  run('unzip', ['-q', '-o', f.zip, '-d', join(out, 'x')]);
  const t3 = performance.now();
  rmSync(out, { recursive: true, force: true });
  return { total_ms: t3 - t0, sha256_ms: t1 - t0, verify_ms: t2 - t1, unpack_ms: t3 - t2 };
}

/** Peak RSS (kB) of one native tool, via GNU time; undefined without it. */
function peakKB(cmd: string[]): number | undefined {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...cmd], {
    encoding: 'utf8',
    timeout: SYNC_TOOL_TIMEOUT_MS,
  });
  if (r.status !== 0) return undefined;
  const last = r.stderr.trim().split('\n').pop() ?? '';
  return /^\d+$/.test(last) ? Number(last) : undefined;
}

export async function scenarioDistribution(peers: Peers, s: Settings): Promise<ScenarioResult> {
  const sizeMB = s.quick ? 12 : 50;
  s.log(`  making a ~${sizeMB} MB signed distribution`);
  const f = await fixture(peers, sizeMB);
  try {
    const perProcess = s.quick ? 2 : 3;
    const runs = await interleave(
      s.rounds,
      {
        ts: async () =>
          (
            await runHarness(peers.runtime.node, [
              join(BENCH, 'dist', 'dist-verify.js'),
              f.zip,
              f.dir,
              f.dir,
              String(perProcess),
            ])
          ).json,
        native: async () => ({ samples: Array.from({ length: perProcess }, () => nativeOnce(f)) }) as Json,
      },
      s.log,
    );
    const first = (j: Json, k: string): number => num(samplesOf(j)[0]!, k);
    const later = (j: Json, k: string): number =>
      median(
        samplesOf(j)
          .slice(1)
          .map((x) => num(x, k)),
      );
    const all = (j: Json, k: string): number => median(samplesOf(j).map((x) => num(x, k)));
    const native = (k: string): number[] => runs.native!.map((j) => all(j, k));
    const ts = (f2: (j: Json, k: string) => number, k: string): number[] => runs.ts!.map((j) => f2(j, k));
    const ref = 'sha256sum + gpg --verify + unzip';
    const phase = (k: string, tool: string) =>
      metric({
        id: `s6.${k}`,
        label: `${k.replace('_ms', '')} phase (warm) vs ${tool}`,
        unit: 'ms',
        ts: ts(later, k),
        ref: native(k),
        refLabel: tool,
      });
    const gpgArgs = ['gpg', '--homedir', f.home, '--batch', '--quiet', '--verify', f.sig];
    return {
      id: 's6',
      title: `Verify + unpack a ${round(f.zipBytes / 2 ** 20, 1)} MiB distribution`,
      completed: true,
      metrics: [
        metric({
          id: 's6.total.cold',
          label: 'read + sha256 + OpenPGP verify + unpack, first in a fresh process vs native tools',
          unit: 'ms',
          ts: ts(first, 'total_ms'),
          ref: native('total_ms'),
          refLabel: ref,
        }),
        metric({
          id: 's6.total.warm',
          label: 'read + sha256 + OpenPGP verify + unpack, later runs in the process vs native tools',
          unit: 'ms',
          ts: ts(later, 'total_ms'),
          ref: native('total_ms'),
          refLabel: ref,
        }),
        // TS: the streamed private copy with its SHA-256 (there is no separate read).
        phase('sha256_ms', 'sha256sum'),
        phase('verify_ms', 'gpg --verify'),
        phase('unpack_ms', 'unzip'),
      ],
      memory: [
        {
          label: 'TS verify + unpack process',
          hostKB: median(runs.ts!.map((j) => num(j, 'host_maxrss_kb'))),
          hostAnonKB: median(runs.ts!.map((j) => num(j, 'host_anon_peak_kb'))),
        },
        ...(
          [
            ['sha256sum', ['sha256sum', f.zip]],
            ['gpg --verify', [...gpgArgs, f.checksumFile]],
            ['unzip', ['unzip', '-q', '-o', f.zip, '-d', join(f.dir, 'rss')]],
          ] as const
        ).map(([label, cmd]) => ({ label: `native ${label}`, hostKB: peakKB([...cmd]) })),
      ],
      details: {
        zipBytes: f.zipBytes,
        perProcess,
        ts_read_ms: round(median(ts(later, 'read_ms')), 1),
        // Where the first run in a process (the cold row) spends its extra time, phase by phase.
        ts_phases_first_vs_later_ms: Object.fromEntries(
          ['sha256_ms', 'verify_ms', 'unpack_ms'].map((k) => [
            k,
            { first: round(median(ts(first, k)), 1), later: round(median(ts(later, k)), 1) },
          ]),
        ),
        note: 'gpg verifies against a keyring imported before timing; the TS side parses the armored gpg.key every run, as geth does.',
      },
    };
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
}
