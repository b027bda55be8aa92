/**
 * Docs that run. A ```ts or ```js block in README.md, docs/*.md or a
 * package's README.md preceded by the line
 * `<!-- doc-test: compile -->` is type-checked (strict, ESM, against the
 * workspace packages as a user imports them); `<!-- doc-test: run -->` also
 * runs it with node, which must exit 0. Snippets may import
 * `./gen/kv_pb.js`: the code generated from go-plugin's kv example's kv.proto.
 * One tsc run for all of them keeps this fast. The convention is described
 * in README.md ("Docs that run").
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { REPO_ROOT } from '../src/support/go.js';

type Mode = 'compile' | 'run';

interface Snippet {
  /** e.g. docs/hosting.md:42 (the line of the opening fence) */
  where: string;
  file: string;
  mode: Mode;
  code: string;
}

const MARKER = /^<!-- doc-test: (\w+) -->$/;

function docs(): string[] {
  const dir = join(REPO_ROOT, 'docs');
  const packages = join(REPO_ROOT, 'packages');
  return [
    join(REPO_ROOT, 'README.md'),
    ...readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => join(dir, f)),
    ...readdirSync(packages)
      .sort()
      .map((p) => join(packages, p, 'README.md'))
      .filter((f) => existsSync(f)),
  ];
}

/** The marked snippets of one Markdown file; a marker not followed by a ```ts block is an error. */
function extractSnippets(path: string, text: string): Snippet[] {
  const name = path.slice(REPO_ROOT.length).replace(/^\/+/, '');
  const lines = text.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER.exec(lines[i]!.trim());
    if (!m) continue;
    const mode = m[1];
    if (mode !== 'compile' && mode !== 'run')
      throw new Error(`${name}:${i + 1}: unknown doc-test mode ${mode}`);
    const lang = /^```(ts|js)$/.exec(lines[i + 1]?.trim() ?? '')?.[1];
    if (!lang)
      throw new Error(`${name}:${i + 1}: a doc-test marker must precede a \`\`\`ts or \`\`\`js block`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.trim() === '```');
    if (end < 0) throw new Error(`${name}:${i + 2}: the \`\`\`${lang} block is not closed`);
    out.push({
      where: `${name}:${i + 2}`,
      // packages/quorum/README.md → quorum-readme-l17.js
      file: `${name
        .replace(/^packages\//, '')
        .replace(/\.md$/, '')
        .replace(/\//g, '-')
        .toLowerCase()}-l${i + 2}.${lang}`,
      mode,
      code: lines.slice(i + 2, end).join('\n') + '\n',
    });
  }
  return out;
}

describe('docs that run', () => {
  // Inside the checkout, so that the workspace packages resolve from its node_modules.
  mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.tmp', 'doc-snippets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const snippets = docs().flatMap((path) => extractSnippets(path, readFileSync(path, 'utf8')));

  it('finds the marked snippets (README, hosting, writing-plugins)', () => {
    const files = new Set(snippets.map((s) => s.where.split(':')[0]));
    for (const f of ['README.md', 'docs/hosting.md', 'docs/writing-plugins.md']) assert.ok(files.has(f), f);
  });

  it('compiles every marked snippet and runs the `run` ones', () => {
    mkdirSync(join(dir, 'src', 'gen'), { recursive: true });
    copyFileSync(
      join(REPO_ROOT, 'interop', 'ts', 'src', 'generated', 'kv', 'kv_pb.ts'),
      join(dir, 'src', 'gen', 'kv_pb.ts'),
    );
    for (const s of snippets) writeFileSync(join(dir, 'src', s.file), s.code);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          skipLibCheck: true,
          allowJs: true,
          checkJs: true,
          rootDir: 'src',
          outDir: 'dist',
        },
        include: ['src'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir],
      { cwd: dir, encoding: 'utf8' },
    );
    // Map the scratch file names back to the doc lines they came from.
    const report = snippets.reduce(
      (text, s) => text.replaceAll(`src/${s.file}`, `${s.where} (${s.file})`),
      tsc.stdout,
    );
    assert.equal(tsc.status, 0, `doc snippets do not compile:\n${report}${tsc.stderr}`);
    for (const s of snippets.filter((x) => x.mode === 'run')) {
      const out = join(dir, 'dist', s.file.replace(/\.ts$/, '.js'));
      try {
        execFileSync(process.execPath, [out], { cwd: dir, encoding: 'utf8', stdio: 'pipe', timeout: 30_000 });
      } catch (err) {
        const e = err as { status: number | null; stdout: string; stderr: string };
        assert.fail(`${s.where} exited ${e.status}:\n${e.stdout}${e.stderr}`);
      }
    }
  });

  it('refuses a marker without a ts block, and an unknown mode', () => {
    const doc = join(REPO_ROOT, 'docs', 'x.md');
    assert.throws(
      () => extractSnippets(doc, 'a\n<!-- doc-test: compile -->\n```sh\nls\n```\n'),
      /docs\/x\.md:2: a doc-test marker must precede a ```ts or ```js block/,
    );
    assert.throws(
      () => extractSnippets(doc, '<!-- doc-test: exec -->\n```ts\n```\n'),
      /docs\/x\.md:1: unknown doc-test mode exec/,
    );
    assert.throws(
      () => extractSnippets(doc, '<!-- doc-test: run -->\n```ts\nlet a;\n'),
      /docs\/x\.md:2: the ```ts block is not closed/,
    );
    assert.deepEqual(extractSnippets(doc, '<!-- doc-test: run -->\n```ts\nconst a = 1;\n```\n'), [
      { where: 'docs/x.md:2', file: 'docs-x-l2.ts', mode: 'run', code: 'const a = 1;\n' },
    ]);
  });
});

describe('docs/hosting.md options table', () => {
  it('lists every PluginClient option', () => {
    const source = readFileSync(
      join(REPO_ROOT, 'packages', 'go-plugin', 'src', 'host', 'options.ts'),
      'utf8',
    );
    const body = /export interface PluginClientOptions \{([\s\S]*?)\n\}/.exec(source)![1]!;
    const options = [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]!);
    assert.ok(options.length > 20, `found ${options.length} options`);
    const hosting = readFileSync(join(REPO_ROOT, 'docs', 'hosting.md'), 'utf8');
    const table = hosting.slice(
      hosting.indexOf('| option | default | what it does |'),
      hosting.indexOf('`start()` spawns'),
    );
    const missing = options.filter((o) => !table.includes(`\`${o}\``));
    assert.deepEqual(missing, [], 'options missing from the PluginClient table of docs/hosting.md');
  });
});
