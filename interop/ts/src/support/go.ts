/**
 * Builds the Go peers in interop/go (real go-plugin at pinned versions) for
 * the tests. Without a Go toolchain the interop tests skip with a visible
 * reason, unless REQUIRE_INTEROP=1, which turns the skip into a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
export const GO_DIR = join(REPO_ROOT, 'interop', 'go');

export const GO_PLUGIN_VERSIONS = ['v1.0.1', 'v1.2.2', 'v1.8.0'] as const;
export type GoPluginVersion = (typeof GO_PLUGIN_VERSIONS)[number];

function goMissing(): string | undefined {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'the Go toolchain (`go`) is not on PATH';
}

/**
 * `false` when the Go interop tests can run; else the skip reason. Throws
 * when REQUIRE_INTEROP=1 and they cannot run.
 */
export function interopSkip(): string | false {
  const missing = goMissing();
  if (!missing) return false;
  if (process.env.REQUIRE_INTEROP === '1') throw new Error(`REQUIRE_INTEROP=1 but ${missing}`);
  return `skipped: ${missing} (set REQUIRE_INTEROP=1 to make this a failure)`;
}

const built = new Set<string>();

export interface GoPeer {
  host: string;
  plugin: string;
}

/** Builds (once per process; go's own cache makes rebuilds cheap) and returns the binaries. */
export function goPeer(version: GoPluginVersion | 'kv'): GoPeer {
  if (!built.has(version)) {
    execFileSync('bash', [join(GO_DIR, 'build.sh'), version], { stdio: ['ignore', 'inherit', 'inherit'] });
    built.add(version);
  }
  const dir = join(GO_DIR, 'bin', version);
  const peer = { host: join(dir, 'host'), plugin: join(dir, 'plugin') };
  for (const p of Object.values(peer)) if (!existsSync(p)) throw new Error(`build.sh did not produce ${p}`);
  return peer;
}
