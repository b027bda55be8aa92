/** Paths of the TypeScript plugins the interop tests launch. */
import { join } from 'node:path';

import { REPO_ROOT } from './go.js';

/** The hello world example (examples/helloworld), compiled. */
export const HELLOWORLD_PLUGIN = join(REPO_ROOT, 'examples', 'helloworld', 'dist', 'src', 'main.js');
/** Hello world + Interop service (broker callbacks, stdio, crash). */
export const INTEROP_PLUGIN = join(
  REPO_ROOT,
  'interop',
  'ts',
  'dist',
  'src',
  'fixtures',
  'interop-plugin.js',
);

/** argv for a TS plugin: node runs the file directly, no shell in between. */
export const nodePlugin = (script: string): string[] => [process.execPath, script];
