// Experiment (not part of `npm run bench`): loadSettings on hostile sizes,
// before and after the parser rework, next to Go's encoding/json decoding the
// same file (what geth does). Each measurement is a fresh process (median of
// the rounds); time is loadSettings only (read, parse, decode, validate,
// baseDir), not process start-up.
//   npx tsc -b && node bench/experiments/settings-scaling.mjs [rounds] [before-rev] [case filter]
// before-rev (default 4008a9e, the sources before the rework) is extracted
// with git archive and bundled with esbuild into bench/dist/cache/.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cache = join(root, 'bench', 'dist', 'cache', 'settings-scaling');
const rounds = Number(process.argv[2] ?? 3);
const beforeRev = process.argv[3] ?? '4008a9e';
const only = process.argv[4];
const TIMEOUT_MS = 120_000;

rmSync(cache, { recursive: true, force: true });
mkdirSync(join(cache, 'files'), { recursive: true });

// "before": the settings sources at beforeRev, bundled (go-plugin stays the workspace package).
const src = join(cache, 'before-src');
mkdirSync(src, { recursive: true });
const tar = execFileSync('git', [
  '-C',
  root,
  'archive',
  beforeRev,
  'packages/quorum/src/settings',
  'packages/quorum/src/errors.ts',
]);
execFileSync('tar', ['-x', '-C', src], { input: tar });
execFileSync(join(root, 'node_modules', '.bin', 'esbuild'), [
  join(src, 'packages/quorum/src/settings/index.ts'),
  '--bundle',
  '--format=esm',
  '--platform=node',
  '--external:@qplugin/go-plugin/*',
  '--external:smol-toml',
  `--outfile=${join(cache, 'before.mjs')}`,
  '--log-level=warning',
]);
const implementations = {
  before: join(cache, 'before.mjs'),
  after: join(root, 'packages', 'quorum', 'dist', 'src', 'settings', 'index.js'),
};
const gobin = join(cache, 'settings-decode-go');
execFileSync('go', ['build', '-o', gobin, '.'], {
  cwd: join(root, 'bench', 'experiments', 'settings-decode-go'),
});

const MB = 1024 * 1024;
const hello = (extra) =>
  `{"providers":{"helloworld":{"name":"quorum-plugin-hello-world","version":"1.0.0"${extra}}}}`;
const cases = {};
for (const mb of [5, 10, 20, 40])
  cases[`config string ${mb} MB`] = hello(`,"config":{"k":"${'x'.repeat(mb * MB)}"}`);
cases['config string 20 MB of \\n escapes'] = hello(`,"config":{"k":"${'\\n'.repeat(10 * MB)}"}`);
cases['name 20 MB'] = `{"providers":{"helloworld":{"name":"${'x'.repeat(20 * MB)}","version":"1"}}}`;
cases['unknown key 20 MB'] = `{"${'x'.repeat(20 * MB)}":1,"providers":{}}`;
cases['baseDir 20 MB'] = `{"baseDir":"${'x'.repeat(20 * MB)}","providers":{}}`;
cases['config nested 2,000'] = hello(`,"config":${'['.repeat(2000)}${']'.repeat(2000)}`);
cases['config nested 9,997 (10,000 in all)'] = hello(`,"config":${'['.repeat(9997)}${']'.repeat(9997)}`);
cases['nested 1,000,000'] = '['.repeat(1_000_000) + ']'.repeat(1_000_000);

const runner = `
const [impl, file, cwd] = process.argv.slice(1);
const { loadSettings } = await import(impl);
const t = performance.now();
let outcome = 'loaded';
try { await loadSettings('file://' + file, { cwd, env: {}, datadir: cwd }); }
catch (e) { outcome = (e.code ?? e.name) + ': ' + String(e.message).slice(0, 80); }
console.log(JSON.stringify({ ms: performance.now() - t, outcome }));
`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = [];
for (const [name, text] of Object.entries(cases)) {
  if (only && !name.includes(only)) continue;
  const dir = join(cache, 'files', name.replace(/\W+/g, '-'));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  writeFileSync(file, text);
  const row = { case: name };
  for (const [impl, path] of Object.entries(implementations)) {
    const ms = [];
    let outcome = '';
    for (let r = 0; r < rounds; r++) {
      const res = spawnSync(process.execPath, ['--input-type=module', '-e', runner, path, file, dir], {
        encoding: 'utf8',
        timeout: TIMEOUT_MS,
        maxBuffer: 64 * MB,
      });
      if (res.error || res.status !== 0) {
        outcome =
          res.error?.code === 'ETIMEDOUT'
            ? `> ${TIMEOUT_MS / 1000} s`
            : `crashed: ${res.stderr.split('\n').find((l) => /Error/.test(l)) ?? res.status}`;
        ms.push(Infinity);
        break;
      }
      const out = JSON.parse(res.stdout.trim().split('\n').pop());
      ms.push(out.ms);
      outcome = out.outcome;
    }
    const short = outcome.replace(/: plugins: unable to parse settings due to /, ': ').slice(0, 60);
    row[impl] = Number.isFinite(median(ms))
      ? `${Math.round(median(ms))} ms${outcome === 'loaded' ? '' : ` (${short})`}`
      : outcome;
  }
  const go = JSON.parse(execFileSync(gobin, [file], { encoding: 'utf8' }));
  row.go = `${Math.round(go.ms)} ms${go.error ? ` (${go.error.slice(0, 60)})` : ''}`;
  rows.push(row);
  rmSync(dir, { recursive: true, force: true });
  console.error(`done: ${name}`);
}
console.log(`| case | before (${beforeRev}) | after | Go encoding/json |`);
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.case} | ${r.before} | ${r.after} | ${r.go} |`);
