#!/usr/bin/env node
// The packages as published (part of `npm run lint`): builds, then checks that
// the public API matches the committed report (scripts/api-report.mjs), that
// package.json and the packed files agree (publint) and that the types resolve
// for ESM consumers (@arethetypeswrong/cli; the packages are ESM only, so the
// CommonJS/node10 resolutions are out of scope: profile esm-only).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
let failed = false;
const run = (label, cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status === 0) {
    console.log(`ok   ${label}`);
    return;
  }
  failed = true;
  console.log(`FAIL ${label}\n${r.stdout}${r.stderr}`);
};
const stopIfFailed = () => {
  if (failed) process.exit(1);
};

run('build (tsc -b)', bin('tsc'), ['-b']);
stopIfFailed();
run('demo bundle', process.execPath, ['packages/cli/scripts/bundle-demo.mjs']);
run('API report current', process.execPath, ['scripts/api-report.mjs', '--check']);
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkg = join('packages', dir);
  run(`publint ${pkg}`, bin('publint'), ['--strict', pkg]);
  run(`attw ${pkg}`, bin('attw'), ['--pack', pkg, '--profile', 'esm-only', '--format', 'ascii']);
}
stopIfFailed();
