/** `qplugin new`: scaffold a TypeScript plugin project that installs, tests and packs as is. */
import { readFile, readdir, mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { QuorumError } from '@qplugin/quorum/core/internal';
import { goPlatform } from '@qplugin/quorum/core/internal';
import { str, UsageError } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { printResult } from '../output.js';
import { scaffoldFiles } from '../scaffold/templates.js';

/** Lower-case npm name that is also a valid plugin name for pack (`[\w.-]`). */
const NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/;
/** What this repo's lock pins, for installs without one (e.g. the CLI installed from a registry). */
const FALLBACK = { typescript: '5.9.3', typesNode: '20.19.43' };

interface Packages {
  goPlugin: string;
  quorum: string;
  cli: string;
  /** The checkout holding them, when there is one. */
  repoRoot: string;
}

/** Real directory of an installed package, from its root entry (dist/src/index.js → package root). */
async function packageDir(name: string): Promise<string> {
  return realpath(resolve(dirname(fileURLToPath(import.meta.resolve(name))), '../..'));
}

/** Real directories of the packages this CLI runs from (this file is dist/src/commands/new.js). */
async function packageDirs(): Promise<Packages> {
  const cli = await realpath(fileURLToPath(new URL('../../../', import.meta.url)));
  const [goPlugin, quorum] = await Promise.all([
    packageDir('@qplugin/go-plugin'),
    packageDir('@qplugin/quorum'),
  ]);
  return { cli, quorum, goPlugin, repoRoot: resolve(cli, '../..') };
}

async function pinnedVersions(repoRoot: string): Promise<{ typescript: string; typesNode: string }> {
  try {
    const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages?: Record<string, { version?: string }>;
    };
    return {
      typescript: lock.packages?.['node_modules/typescript']?.version ?? FALLBACK.typescript,
      typesNode: lock.packages?.['node_modules/@types/node']?.version ?? FALLBACK.typesNode,
    };
  } catch {
    return FALLBACK;
  }
}

/**
 * Relative `file:` links inside the checkout (the tree moves as a whole),
 * absolute ones elsewhere (a project in /tmp or ~ keeps working if moved).
 */
function fileSpec(project: string, target: string, repoRoot: string): string {
  const inRepo = !relative(repoRoot, project).startsWith('..') && !isAbsolute(relative(repoRoot, project));
  return `file:${inRepo ? relative(project, target) || '.' : target}`;
}

async function ensureEmptyDir(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return;
  if (!info.isDirectory() || (await readdir(dir)).length > 0)
    throw new QuorumError(
      'PACK_INPUT',
      `refusing to scaffold into ${dir}: it exists and is not an empty directory`,
      {
        fix: 'Give a new or empty directory.',
        details: { dir },
      },
    );
}

export const newProject: Command = {
  name: 'new',
  usage: 'qplugin new <dir> [--name N]',
  options: {
    name: {
      type: 'string',
      value: 'N',
      description: 'npm and plugin name (lower-case letters, digits, . _ -; default: the directory name)',
    },
  },
  details:
    'Writes package.json (the qplugin packages as file: links to this installation, typescript and\n' +
    '@types/node pinned), tsconfig.json, src/main.ts (Init + Greeting), test/plugin.test.ts (starts the\n' +
    'plugin with PluginClient), README.md and .gitignore. Then: npm install && npm test && npm run pack.\n' +
    'Exit codes: 0 created, 1 failed (directory not empty, I/O), 2 usage error.',
  async run({ values, positionals }, io) {
    const [target, ...extra] = positionals;
    if (!target) throw new UsageError('the project directory is required');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const dir = resolve(target);
    const name = str(values.name) ?? basename(dir);
    if (!NAME.test(name))
      throw new UsageError(
        `invalid name ${JSON.stringify(name)}: use lower-case letters, digits, ".", "_" and "-" (pass --name)`,
      );
    await ensureEmptyDir(dir);
    await mkdir(dir, { recursive: true });
    const project = await realpath(dir);
    const pkgs = await packageDirs();
    const versions = await pinnedVersions(pkgs.repoRoot);
    const files = scaffoldFiles({
      name,
      goPluginDep: fileSpec(project, pkgs.goPlugin, pkgs.repoRoot),
      quorumDep: fileSpec(project, pkgs.quorum, pkgs.repoRoot),
      cliDep: fileSpec(project, pkgs.cli, pkgs.repoRoot),
      typescriptVersion: versions.typescript,
      typesNodeVersion: versions.typesNode,
    });
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(project, path)), { recursive: true });
      await writeFile(join(project, path), content, { flag: 'wx' });
    }
    const next = [`cd ${target}`, 'npm install', 'npm test', 'npm run pack'];
    printResult(
      io,
      { ok: true, dir: project, name, files: Object.keys(files), next },
      [
        `created ${name} in ${project}:`,
        ...Object.keys(files).map((f) => `  ${f}`),
        '',
        'next steps:',
        ...next.map((s) => `  ${s}`),
        '',
        `npm run pack writes dist/plugin/${name}-1.0.0-${goPlatform().os}-${goPlatform().arch}.zip (the name geth looks up); sign it with qplugin keygen and qplugin sign.`,
      ].join('\n'),
    );
    return ExitCode.ok;
  },
};
