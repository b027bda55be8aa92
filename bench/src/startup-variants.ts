/**
 * Scenario 2's single-executable variants of the TS hello world, built with
 * the Node.js the TS side runs on (`qplugin pack --sea`, a V8 code cache, and
 * `--snapshot`). Node 20 cannot build them (Node >= 22): then there are none.
 * Built at each run into bench/dist/cache (~130 MB each; a stale executable
 * would measure old code).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { packPlugin } from '@qplugin/cli';

import { CACHE } from './prepare.js';

export interface SeaVariants {
  /** `qplugin pack --sea`: V8 code cache. */
  sea: string[];
  /** `qplugin pack --sea --snapshot`: V8 startup snapshot. */
  seaSnapshot: string[];
}

function majorOf(node: string): number {
  return Number(execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).split('.')[0]);
}

export async function seaVariants(
  node: string,
  entry: string,
  log: (line: string) => void,
): Promise<SeaVariants | undefined> {
  if (majorOf(node) < 22) {
    log(`  no single-executable variants: ${node} is older than Node.js 22`);
    return undefined;
  }
  const build = async (snapshot: boolean): Promise<string[]> => {
    const dir = join(CACHE, snapshot ? 'sea-snapshot' : 'sea');
    rmSync(dir, { recursive: true, force: true });
    log(
      `  building the hello world as a single executable (${snapshot ? 'startup snapshot' : 'code cache'})`,
    );
    const packed = await packPlugin({
      name: 'helloworld',
      version: '1.0.0',
      entry,
      outDir: dir,
      sea: { node, snapshot },
    });
    execFileSync('unzip', ['-q', '-o', packed.zipPath, '-d', dir]);
    return [join(dir, packed.entrypoint)];
  };
  return { sea: await build(false), seaSnapshot: await build(true) };
}
