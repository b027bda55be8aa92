/**
 * `qplugin new`: the scaffold installs (typescript and @types/node from the
 * registry or npm's cache, the qplugin packages as file: links), its test
 * passes and `npm run pack` produces a zip inspect finds clean. Slow: one
 * npm install.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { goPlatform } from '@qplugin/quorum/internal';

import { REPO, json, qplugin, scratch, show } from '../support/cli.js';

interface Npm {
  code: number | null;
  output: string;
}

/**
 * npm as a user runs it: without the parent's npm_* variables (a run under
 * `npm test`) and without NODE_TEST_CONTEXT, which would make the project's
 * own `node --test` think it is nested in ours and skip its files.
 */
function npm(args: readonly string[], cwd: string): Promise<Npm> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.toLowerCase().startsWith('npm_') && k !== 'NODE_TEST_CONTEXT',
    ),
  );
  return new Promise((resolve) => {
    execFile(
      'npm',
      [...args],
      { cwd, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

const NETWORK = /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network/i;

describe('qplugin new', () => {
  it('scaffolds a project that installs, tests and packs', { timeout: 900_000 }, async (t) => {
    const dir = join(scratch('qp-cli-new-'), 'my-plugin');
    const made = await qplugin(['new', dir, '--json']);
    assert.equal(made.code, 0, show(made));
    const doc = json(made);
    assert.equal(doc.name, 'my-plugin');
    assert.deepEqual(doc.next, [`cd ${dir}`, 'npm install', 'npm test', 'npm run pack']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    // Outside the checkout the links are absolute, so the project can move.
    assert.equal(pkg.dependencies['@qplugin/quorum'], `file:${join(REPO, 'packages', 'quorum')}`);
    assert.equal(pkg.dependencies['@qplugin/go-plugin'], `file:${join(REPO, 'packages', 'go-plugin')}`);
    assert.equal(pkg.devDependencies['@qplugin/cli'], `file:${join(REPO, 'packages', 'cli')}`);
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    assert.equal(pkg.devDependencies.typescript, lock.packages['node_modules/typescript']!.version);

    const again = await qplugin(['new', dir]);
    assert.equal(again.code, 1, show(again));
    assert.match(again.stderr, /refusing to scaffold into .*not an empty directory/);

    const install = await npm(['install', '--no-audit', '--no-fund'], dir);
    if (install.code !== 0 && NETWORK.test(install.output)) {
      t.skip(
        `npm install needs the registry (or a cache) for typescript and @types/node: ${install.output.trim().split('\n').at(-1)}`,
      );
      return;
    }
    assert.equal(install.code, 0, install.output);
    const test = await npm(['test'], dir);
    assert.equal(test.code, 0, test.output);
    // node --test's default reporter off a TTY: TAP (`# pass 2`) on Node 20, spec (`ℹ pass 2`) from Node 23 on.
    assert.match(test.output, /^(# |ℹ )pass 2$/m);
    assert.match(test.output, /^(# |ℹ )fail 0$/m);

    const packed = await npm(['run', 'pack'], dir);
    assert.equal(packed.code, 0, packed.output);
    const zip = join(dir, 'dist', 'plugin', `my-plugin-1.0.0-${goPlatform().os}-${goPlatform().arch}.zip`);
    assert.ok(existsSync(zip), packed.output);
    const inspected = await qplugin(['inspect', zip, '--strict']);
    assert.equal(inspected.code, 0, show(inspected));
  });

  it('uses relative file: links inside the checkout', async () => {
    const parent = join(REPO, '.tmp');
    mkdirSync(parent, { recursive: true });
    const dir = join(parent, `qp-cli-new-${process.pid}`);
    try {
      const made = await qplugin(['new', dir, '--name', 'inside']);
      assert.equal(made.code, 0, show(made));
      assert.match(made.stdout, /next steps:\n {2}cd .*\n {2}npm install\n {2}npm test\n {2}npm run pack/);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies: Record<string, string>;
        devDependencies: Record<string, string>;
      };
      assert.equal(pkg.name, 'inside');
      assert.equal(pkg.devDependencies['@qplugin/cli'], 'file:../../packages/cli');
      assert.deepEqual(pkg.dependencies, {
        '@qplugin/go-plugin': 'file:../../packages/go-plugin',
        '@qplugin/quorum': 'file:../../packages/quorum',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path that is a file', async () => {
    const file = join(scratch('qp-cli-new-file-'), 'taken');
    writeFileSync(file, 'x');
    const ran = await qplugin(['new', file]);
    assert.equal(ran.code, 1, show(ran));
  });
});
