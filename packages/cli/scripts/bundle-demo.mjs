#!/usr/bin/env node
// Bundles the TS hello world example into dist/demo/hello-world.mjs, one file
// with its dependencies inlined, so `qplugin demo` runs from an installed CLI
// (the example itself is not published). Run after `tsc -b` (scripts/test.mjs,
// `npm run build`) and by `npm pack` (prepack).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = new URL('../', import.meta.url);
const { bundlePlugin } = await import(new URL('dist/src/packaging/index.js', pkg).href);
const entry = fileURLToPath(new URL('../../examples/helloworld/dist/src/main.js', pkg));
const out = new URL('dist/demo/hello-world.mjs', pkg);
mkdirSync(new URL('dist/demo/', pkg), { recursive: true });
// Written aside and renamed: a demo running meanwhile (tests run in parallel) never reads half a file.
const part = new URL(`dist/demo/hello-world.mjs.${process.pid}`, pkg);
writeFileSync(part, await bundlePlugin(entry), { mode: 0o755 });
renameSync(part, out);
