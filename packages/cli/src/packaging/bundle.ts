/**
 * One-file bundles of TypeScript/JavaScript plugins with esbuild, so a
 * distribution needs no node_modules. geth execs the entrypoint directly and
 * the kernel's `#!` handling starts node (through sh when the plugin has
 * Node.js flags): the bundle gets our first lines (node-flags.ts), in place
 * of the entry's own `#!` line if that is a plain `#!/usr/bin/env node`; any
 * other `#!` line of the entry is kept as it is.
 */
import { readFileSync } from 'node:fs';

import { QuorumError } from '@qplugin/quorum/core/internal';
import { messageOf } from '@qplugin/go-plugin/core/internal';
import { embeddedDescriptors } from './embedded-descriptors.js';
import { launchHeader } from './node-flags.js';

const PLAIN_NODE = '#!/usr/bin/env node';

/** ESM bundles of CommonJS dependencies need a real `require` for Node built-ins. */
const REQUIRE_SHIM =
  'import { createRequire as __qpluginCreateRequire } from "node:module";\n' +
  'const require = __qpluginCreateRequire(import.meta.url);';

export interface BundleOptions {
  /** Minify (smaller, faster to load). Default true. */
  minify?: boolean;
  /** Node.js flags the bundle starts with (written into its first lines). Default none. */
  nodeFlags?: readonly string[];
}

interface Bundle {
  code: Buffer;
  /** The flags its first lines start node with: none when the entry brought its own `#!` line. */
  nodeFlags: string[];
}

export async function bundlePlugin(entry: string, options: BundleOptions = {}): Promise<Buffer> {
  return (await bundleWithFlags(entry, options)).code;
}

/** bundlePlugin, and which flags the bundle's first lines carry. */
export async function bundleWithFlags(entry: string, options: BundleOptions = {}): Promise<Bundle> {
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
      plugins: [embeddedDescriptors()],
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
  const flags = [...(options.nodeFlags ?? [])];
  const source = readFileSync(entry, 'utf8');
  if (source.startsWith('#!') || code.subarray(0, 2).equals(Buffer.from('#!'))) {
    // esbuild keeps the entry's `#!` line first. A plain `#!/usr/bin/env node` asks for nothing
    // more than node (our scaffold writes it): ours replaces it. Any other line is the author's choice.
    const eol = code.indexOf(0x0a);
    const line = code
      .subarray(0, eol < 0 ? code.length : eol)
      .toString()
      .trim();
    if (line !== PLAIN_NODE) return { code, nodeFlags: [] };
    code = code.subarray(eol + 1);
  }
  return { code: Buffer.concat([Buffer.from(launchHeader(flags)), code]), nodeFlags: flags };
}
