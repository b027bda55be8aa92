/**
 * One-file bundles of TypeScript/JavaScript plugins with esbuild, so a
 * distribution needs no node_modules. The bundle keeps (or gets) a
 * `#!/usr/bin/env node` line: geth execs the entrypoint directly, without a
 * shell, and the kernel's shebang handling then starts node with no shell in
 * between either.
 */
import { readFileSync } from 'node:fs';

import { QuorumError } from '@qplugin/quorum';
import { messageOf } from '@qplugin/go-plugin/protocol';

/** ESM bundles of CommonJS dependencies need a real `require` for Node built-ins. */
const REQUIRE_SHIM =
  'import { createRequire as __qpluginCreateRequire } from "node:module";\n' +
  'const require = __qpluginCreateRequire(import.meta.url);';

export interface BundleOptions {
  /** Minify (smaller, faster to load). Default true. */
  minify?: boolean;
}

export async function bundlePlugin(entry: string, options: BundleOptions = {}): Promise<Buffer> {
  const esbuild = await import('esbuild');
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      minify: options.minify ?? true,
      legalComments: 'none',
      banner: { js: REQUIRE_SHIM },
      logLevel: 'silent',
    });
  } catch (err) {
    throw new QuorumError('PACK_BUNDLE', `bundling ${entry} failed: ${messageOf(err)}`, {
      fix: 'The entry must be a runnable plugin module (e.g. one that calls serve()) and its imports must resolve.',
      details: { entry },
      cause: err,
    });
  }
  let code = Buffer.from(result.outputFiles![0]!.contents);
  const source = readFileSync(entry, 'utf8');
  if (!source.startsWith('#!') && !code.subarray(0, 2).equals(Buffer.from('#!'))) {
    code = Buffer.concat([Buffer.from('#!/usr/bin/env node\n'), code]);
  }
  return code;
}
