// Experiment (not part of `npm run bench`), kept for the record: the fix it
// measures landed in 11d111a, so on later sources the patch below no longer
// applies and the script says so. Before that fix, the TS plugin's per-call context
// (packages/go-plugin/src/protocol/rpc-server.ts, contextFor) adds an 'abort'
// listener to the server-wide stop signal on every call and removes it on the
// call's 'finish'/'close' events, which grpc-js never emits for unary calls:
// listeners pile up (memory grows, and EventTarget.addEventListener scans the
// list, so each call gets slower), and grpc-js's 'cancelled' at the end of a
// call aborts a fresh AbortController with a new Error every time.
//
// This bundles the hello world plugin twice with packPlugin's settings, the
// second time with contextFor replaced (in memory, by an esbuild plugin) by
// the proposed version: the AbortController is made only if the handler reads
// ctx.signal, and everything is detached when the handler settles.
//   node bench/experiments/plugin-context-fix.mjs   → bench/dist/cache/context-fix/{before,after}.mjs
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, 'bench', 'dist', 'cache', 'context-fix');
mkdirSync(out, { recursive: true });

const FIXED_CONTEXT = `function contextFor(call, method, serverSignal) {
    let controller;
    let cancelled = false;
    let settled = false;
    const abort = () => {
        cancelled = true;
        controller?.abort(new Error('call cancelled'));
    };
    call.once('cancelled', abort);
    const done = () => {
        settled = true;
        call.removeListener('cancelled', abort);
        if (controller && serverSignal) serverSignal.removeEventListener('abort', abort);
    };
    const ctx = {
        get signal() {
            if (!controller) {
                controller = new AbortController();
                if (cancelled || serverSignal?.aborted) controller.abort(new Error('call cancelled'));
                else if (serverSignal && !settled) serverSignal.addEventListener('abort', abort, { once: true });
            }
            return controller.signal;
        },
        metadata: call.metadata,
        method: methodPath(method),
        get peer() {
            return call.getPeer();
        },
    };
    return { ctx, done };
}`;

const FIXED_UNARY = `case 'unary': {
            const h = (call, callback) => {
                const { ctx, done } = contextFor(call, method, serverSignal);
                Promise.resolve()
                    .then(() => fn(call.request, ctx))
                    .then((res) => { done(); callback(null, respond(res)); }, (err) => { done(); callback(statusOf(err)); });
            };
            return h;
        }`;

/** Streaming kinds keep their shape; they only unwrap the new return value. */
function patch(source) {
  const start = source.indexOf('function contextFor(');
  const end = source.indexOf('\n}\n', start) + 2;
  const unaryStart = source.indexOf("case 'unary': {");
  const unaryEnd = source.indexOf("case 'server_streaming'", unaryStart);
  if (start < 0 || end < 2 || unaryStart < 0 || unaryEnd < 0)
    throw new Error('rpc-server.js changed: update the patch');
  let s = source.slice(0, unaryStart) + FIXED_UNARY + '\n        ' + source.slice(unaryEnd);
  s = s.slice(0, start) + FIXED_CONTEXT + s.slice(end);
  return s.replaceAll(
    'const ctx = contextFor(call, method, serverSignal);',
    'const { ctx } = contextFor(call, method, serverSignal);',
  );
}

const fixPlugin = {
  name: 'context-fix',
  setup(build) {
    build.onLoad({ filter: /go-plugin[\\/]dist[\\/]src[\\/]protocol[\\/]rpc-server\.js$/ }, (args) => ({
      contents: patch(readFileSync(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

const REQUIRE_SHIM =
  'import { createRequire as __qpluginCreateRequire } from "node:module";\n' +
  'const require = __qpluginCreateRequire(import.meta.url);';
for (const [name, plugins] of [
  ['before', []],
  ['after', [fixPlugin]],
]) {
  await esbuild.build({
    entryPoints: [join(root, 'examples', 'helloworld', 'dist', 'src', 'main.js')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    banner: { js: REQUIRE_SHIM },
    outfile: join(out, `${name}.mjs`),
    plugins,
    logLevel: 'error',
  });
}
console.log(out);
