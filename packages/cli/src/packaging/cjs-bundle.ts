/**
 * The entry bundled as CommonJS, as the code-cache loader and single
 * executables run it, or why it cannot be: top-level `await` (esbuild refuses
 * it) or `import.meta` anywhere in the bundle (esbuild would leave it empty,
 * and code reading `import.meta.url` would break at run time).
 */
import type { Plugin } from 'esbuild';

import { QuorumError } from '@qplugin/quorum/core/internal';
import { messageOf } from '@qplugin/go-plugin/core/internal';
import { embeddedDescriptors } from './embedded-descriptors.js';

/** The part of an esbuild message read here. */
interface EsbuildMessage {
  id: string;
  text: string;
  location: { file: string; line: number } | null;
}

/** ` at file:line` of an esbuild message, or nothing. */
const where = (m: EsbuildMessage): string => (m.location ? ` at ${m.location.file}:${m.location.line}` : '');

export type CommonJsBuild = { code: string } | { obstacle: string; kind: 'top-level await' | 'import.meta' };

export interface CommonJsBuildOptions {
  /** esbuild's target, e.g. `node20`. */
  target: string;
  minify: boolean;
  plugins?: Plugin[];
}

/** The bundle's code (without the entry's `#!` line), or the obstacle with its file and line. */
export async function buildCommonJs(entry: string, o: CommonJsBuildOptions): Promise<CommonJsBuild> {
  const esbuild = await import('esbuild');
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: o.target,
      write: false,
      minify: o.minify,
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [embeddedDescriptors(), ...(o.plugins ?? [])],
      // An error, not a warning: esbuild reports no warnings for files under node_modules.
      logOverride: { 'empty-import-meta': 'error' },
    });
  } catch (err) {
    const errors = (err as { errors?: EsbuildMessage[] }).errors ?? [];
    const tla = errors.find((e) => /top-level await/i.test(e.text));
    if (tla) return { obstacle: `top-level await${where(tla)}: CommonJS has none`, kind: 'top-level await' };
    const meta = errors.find((e) => e.id === 'empty-import-meta');
    if (meta) return { obstacle: `import.meta${where(meta)}: CommonJS leaves it empty`, kind: 'import.meta' };
    throw new QuorumError('PACK_BUNDLE', `bundling ${entry} failed: ${messageOf(err)}`, {
      fix: 'The entry must be a runnable plugin module and its imports must resolve.',
      details: { entry },
      cause: err,
    });
  }
  // The entry's shebang line: not JavaScript where the bundle runs (a function wrapper, a SEA's main script).
  return { code: result.outputFiles![0]!.text.replace(/^#!.*\n/, '') };
}
