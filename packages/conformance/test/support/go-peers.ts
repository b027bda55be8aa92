/**
 * The Go peers of interop/go (real go-plugin at pinned versions, and the kv
 * example peers), built by interop/go/build.sh. Without Go the tests that
 * need them skip, saying so; with REQUIRE_INTEROP=1 they fail instead.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const GO_DIR = join(REPO_ROOT, 'interop', 'go');

export type GoPeerName = 'v1.0.1' | 'v1.2.2' | 'v1.8.0' | 'kv';

/** `false` when Go is there; else the skip reason. Throws with REQUIRE_INTEROP=1 and no Go. */
export function goSkip(): string | false {
  if (spawnSync('go', ['version']).status === 0) return false;
  if (process.env.REQUIRE_INTEROP === '1')
    throw new Error('REQUIRE_INTEROP=1 but the Go toolchain (`go`) is not on PATH');
  return 'skipped: the Go toolchain (`go`) is not on PATH (set REQUIRE_INTEROP=1 to make this a failure)';
}

const built = new Set<GoPeerName>();

/** Builds the peer once per process and returns its host and plugin executables. */
export function goPeer(name: GoPeerName): { host: string; plugin: string } {
  if (!built.has(name)) {
    execFileSync('bash', [join(GO_DIR, 'build.sh'), name], { stdio: ['ignore', 'inherit', 'inherit'] });
    built.add(name);
  }
  const dir = join(GO_DIR, 'bin', name);
  const peer = { host: join(dir, 'host'), plugin: join(dir, 'plugin') };
  for (const p of Object.values(peer)) if (!existsSync(p)) throw new Error(`build.sh did not produce ${p}`);
  return peer;
}

/**
 * Builds peers before a suite whose tests run concurrently (call it in
 * `before`). goPeer's build is synchronous and takes seconds on a busy machine
 * (CI's fresh clone): made inside one test, it stalls the event loop of the
 * checks other tests are running in the same process, which then see their
 * host as idle for that long and stop it (seen in CI: "idle for 14 s").
 */
export function buildGoPeers(...names: GoPeerName[]): void {
  if (goSkip()) return;
  for (const name of names) goPeer(name);
}

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const TS_HOST = join(FIXTURES, 'ts-host.js');
export const BROKEN_HOST = join(FIXTURES, 'broken-host.js');
export const TS_PLUGIN = join(FIXTURES, 'ts-plugin.js');

/** Quorum's cookie, for the Go peers of interop/go (they all use Quorum's handshake). */
export const QUORUM_COOKIE = {
  key: 'QUORUM_PLUGIN_MAGIC_COOKIE',
  value:
    'CB9F51969613126D93468868990F77A8470EB9177503C5A38D437FEFF7786E0941152E05C06A9A3313391059132A7F9CED86C0783FE63A8B38F01623C8257664',
};

/**
 * Points TMPDIR (ours, hence every plugin's and host's the tests start) at a
 * scratch directory for the duration of the file, and removes it with
 * whatever a killed plugin left in it.
 */
export function isolateTmp(): void {
  const saved = process.env.TMPDIR;
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'qp-conformance-'));
    process.env.TMPDIR = dir;
  });
  after(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
}
