/**
 * For bundles that run while a V8 startup snapshot is built (`qplugin pack
 * --sea --snapshot`): the built-ins a snapshot cannot hold (Node aborts the
 * build) become modules whose members load the real module on first use.
 */
import { createRequire } from 'node:module';

import type { Plugin } from 'esbuild';

/** Built-ins a V8 startup snapshot cannot hold: loaded on first use. */
const SNAPSHOT_UNSAFE = ['tls', 'http2', 'http', 'https'];

/** An esbuild plugin: node:tls and friends as modules whose members load the real module on first use. */
export function lazyBuiltinsPlugin(): Plugin {
  const require = createRequire(import.meta.url);
  const filter = new RegExp(`^(node:)?(${SNAPSHOT_UNSAFE.join('|')})$`);
  return {
    name: 'qplugin-lazy-builtins',
    setup(build) {
      build.onResolve({ filter }, (a) => ({
        path: a.path.replace(/^(node:)?/, 'node:'),
        namespace: 'lazy-builtin',
      }));
      build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (a) => {
        const names = Object.keys(require(a.path) as object).filter(
          (k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k),
        );
        // Each member is a proxy of a function: calls, `new`, property reads and
        // `instanceof` reach the real member, loading the module the first time.
        const contents = `let real;
const load = () => (real ??= process.getBuiltinModule(${JSON.stringify(a.path)}));
const member = (k) => new Proxy(function () {}, {
  apply: (_, self, args) => Reflect.apply(load()[k], self, args),
  construct: (_, args, target) => Reflect.construct(load()[k], args, target),
  get: (_, p) => load()[k][p],
  has: (_, p) => p in load()[k],
});
${names.map((k) => `export const ${k} = member(${JSON.stringify(k)});`).join('\n')}
export default new Proxy({}, { get: (_, p) => load()[p], has: (_, p) => p in load() });
`;
        return { contents, loader: 'js' };
      });
    },
  };
}
