/** Where `qplugin demo` finds its plugin: the hello world bundled into this package at build time. */
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { QuorumError } from '@qplugin/quorum/core/internal';

/** This package's root (this file is dist/src/demo-plugin.js). */
const PACKAGE_ROOT = new URL('../../', import.meta.url);

/** Path of the bundled hello world plugin under `packageRoot`; a CLI_DEMO_PLUGIN error when it is missing. */
export async function demoPlugin(packageRoot: URL = PACKAGE_ROOT): Promise<string> {
  const path = fileURLToPath(new URL('dist/demo/hello-world.mjs', packageRoot));
  try {
    await access(path);
  } catch (err) {
    throw new QuorumError('CLI_DEMO_PLUGIN', `the demo plugin ${path} is missing`, {
      fix: 'In a checkout, build it with `npm run build` (tsc -b, then packages/cli/scripts/bundle-demo.mjs); an installed @qplugin/cli ships it, so reinstall the package.',
      details: { path },
      cause: err,
    });
  }
  return path;
}
