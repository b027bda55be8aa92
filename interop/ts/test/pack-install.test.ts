/**
 * The packages as a new user gets them: `npm pack` every package, install the
 * tarballs into an empty directory with a fresh npm cache (dependencies come
 * from the registry), then, outside the repository: `npx qplugin demo`,
 * `qplugin new` → its tests → `npm run pack` → `qplugin check` on the zip, and
 * README's two snippets, extracted from README.md and run unchanged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { REPO_ROOT } from '../src/support/go.js';

const PACKAGES = ['go-plugin', 'conformance', 'quorum', 'cli'];
const NETWORK = /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH/;

interface Ran {
  code: number | null;
  out: string;
}

/**
 * The environment of a user's shell: no npm_* variables inherited from the
 * `npm test` running this file (npm_config_local_prefix would point npm at
 * the repository), not inside node:test (NODE_TEST_CONTEXT would make the
 * scaffold's `node --test` skip its files), and a cache of our own.
 */
function userEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^npm_/i.test(k) && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  return {
    ...env,
    npm_config_cache: cache,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    NO_COLOR: '1',
  };
}

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

/** The first ```ts block after the heading `## <title>` in README.md. */
function readmeSnippet(title: string): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n## ${title}\n`);
  assert.ok(at >= 0, `README.md has a "## ${title}" section`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, `README.md's "${title}" section has a ts code block`);
  return block[1]!;
}

describe('packed packages installed into an empty directory', () => {
  const top = mkdtempSync(join(tmpdir(), 'qp-pack-install-'));
  after(() => rmSync(top, { recursive: true, force: true }));
  const env = userEnv(join(top, 'npm-cache'));
  const app = join(top, 'app');
  const packs = join(top, 'packs');
  const ok = (r: Ran, what: string): void => assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.out}`);

  it(
    'installs, runs the demo, scaffolds/tests/packs/checks a plugin, runs README snippets',
    { timeout: 600_000 },
    async (t) => {
      mkdirSync(packs);
      // npm pack from the checkout (the CLI's prepack bundles the demo plugin); npm test has built everything.
      const packed = await run(
        'npm',
        ['pack', '--pack-destination', packs, ...PACKAGES.map((p) => `--workspace=packages/${p}`)],
        REPO_ROOT,
        { ...env, npm_config_cache: join(top, 'pack-cache') },
      );
      ok(packed, 'npm pack');
      const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
      assert.equal(tarballs.length, PACKAGES.length, `one tarball per package: ${tarballs.join(', ')}`);

      mkdirSync(app);
      ok(await run('npm', ['init', '-y'], app, env), 'npm init');
      const install = await run('npm', ['install', ...tarballs.map((f) => join(packs, f))], app, env);
      if (install.code !== 0 && NETWORK.test(install.out) && process.env.CI !== 'true') {
        t.skip(`the npm registry is not reachable: ${install.out.trim().split('\n').at(-1)}`);
        return;
      }
      ok(install, 'npm install of the tarballs');

      await t.test('npx qplugin demo', async () => {
        const demo = await run('npx', ['qplugin', 'demo', '--json'], app, env);
        ok(demo, 'qplugin demo');
        assert.deepEqual(JSON.parse(demo.out), { ok: true, greetings: ['Hello Quorum!', 'Hola Quorum!'] });
      });

      await t.test('qplugin new → npm test → npm run pack → qplugin check', async () => {
        const made = await run('npx', ['qplugin', 'new', 'my-plugin'], app, env);
        ok(made, 'qplugin new');
        const project = join(app, 'my-plugin');
        ok(await run('npm', ['install'], project, env), 'npm install (scaffold)');
        const tested = await run('npm', ['test'], project, env);
        ok(tested, 'npm test (scaffold)');
        assert.match(tested.out, /^(# |ℹ )pass 2$/m);
        ok(await run('npm', ['run', 'pack'], project, env), 'npm run pack (scaffold)');
        const zips = readdirSync(join(project, 'dist', 'plugin')).filter((f) => f.endsWith('.zip'));
        assert.equal(zips.length, 1, `one zip: ${zips.join(', ')}`);
        const zip = join(project, 'dist', 'plugin', zips[0]!);
        const checked = await run(
          'npx',
          ['qplugin', 'check', '--json', '--config', '{"language":"en"}', zip],
          app,
          env,
        );
        ok(checked, 'qplugin check');
        const report = JSON.parse(checked.out) as { ok: boolean; summary: { fail: number } };
        assert.equal(report.ok, true, checked.out);
        assert.equal(report.summary.fail, 0);
      });

      await t.test("README's plugin and host snippets, unchanged", async () => {
        // The plugin snippet as the executable ./helloworld that the host snippet starts.
        writeFileSync(join(app, 'helloworld.mjs'), readmeSnippet('Write a plugin in TypeScript'));
        chmodSync(join(app, 'helloworld.mjs'), 0o755);
        symlinkSync('helloworld.mjs', join(app, 'helloworld'));
        writeFileSync(join(app, 'host.mjs'), readmeSnippet('Host plugins from Node'));
        const host = await run(process.execPath, ['host.mjs'], app, env);
        ok(host, 'node host.mjs');
        assert.match(host.out, /^Hola Quorum!$/m);
      });
    },
  );
});
