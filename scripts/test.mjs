#!/usr/bin/env node
// The README's test command (`npm test`): type-check and build every package,
// then run every compiled test file with node:test. Prints the spec report on
// stdout and writes a JUnit report to test-results/junit-node<major>.xml for CI.
// Arguments are substrings that select test files, e.g. `npm test -- handshake`.
// Everything runs on the Node.js that runs this script: its directory goes
// first on PATH, so packed plugins (`#!/usr/bin/env node`) and Go hosts'
// children use it too (.ci/run runs this once per supported Node line).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env, PATH: [dirname(process.execPath), process.env.PATH].join(delimiter) };
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run('npx', ['tsc', '-b']);
// The hello world bundled into the CLI package for `qplugin demo` (built from the compiled example).
run(process.execPath, ['packages/cli/scripts/bundle-demo.mjs']);

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = ['packages', 'examples', 'interop']
  .flatMap((top) => readdirSync(join(root, top)).map((p) => join(root, top, p, 'dist', 'test')))
  .filter((dir) => {
    try {
      return statSync(dir).isDirectory();
    } catch {
      return false;
    }
  })
  .flatMap((dir) => findTests(dir))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
mkdirSync(join(root, 'test-results'), { recursive: true });
const major = process.versions.node.split('.')[0];
console.log(
  `running ${files.length} test files on Node.js ${process.version} (${process.execPath}): ${files.map((f) => relative(root, f)).join(' ')}`,
);
run(process.execPath, [
  '--test',
  '--test-concurrency=2',
  '--test-timeout=600000',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=junit',
  `--test-reporter-destination=test-results/junit-node${major}.xml`,
  ...files,
]);
