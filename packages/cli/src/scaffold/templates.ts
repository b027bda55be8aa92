/**
 * The files `qplugin new` writes: a TypeScript Quorum plugin (Quorum's hello
 * world contract, so it drops into a `helloworld` provider) that builds,
 * tests and packs with nothing but `npm install`.
 */
import { goPlatform } from '@qplugin/quorum/core/internal';

export interface ScaffoldInput {
  /** npm package name and plugin name. */
  name: string;
  /** `file:` specs of the qplugin packages (the CLI is a dev dependency: `npm run pack`). */
  goPluginDep: string;
  quorumDep: string;
  cliDep: string;
  typescriptVersion: string;
  typesNodeVersion: string;
}

function packageJson(o: ScaffoldInput): string {
  const pkg = {
    name: o.name,
    version: '1.0.0',
    private: true,
    description: 'A Quorum plugin written in TypeScript',
    type: 'module',
    engines: { node: '>=20' },
    scripts: {
      build: 'tsc -p .',
      test: 'tsc -p . && node --test dist/test/*.test.js',
      // Name and version come from this file, so bumping "version" renames the zip.
      pack: 'tsc -p . && qplugin pack --name "$npm_package_name" --version "$npm_package_version" --entry dist/src/main.js --out dist/plugin',
    },
    dependencies: { '@qplugin/go-plugin': o.goPluginDep, '@qplugin/quorum': o.quorumDep },
    devDependencies: {
      '@qplugin/cli': o.cliDep,
      '@types/node': o.typesNodeVersion,
      typescript: o.typescriptVersion,
    },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2023"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "verbatimModuleSyntax": true,
    "isolatedModules": true,
    "skipLibCheck": true,
    "sourceMap": true,
    "types": ["node"],
    "rootDir": ".",
    "outDir": "dist"
  },
  "include": ["src", "test"]
}
`;

const MAIN = `#!/usr/bin/env node
/**
 * A Quorum plugin: geth (or \`qplugin run\`) starts this file, calls Init with
 * the provider's config, then Greeting. Run by hand, it explains that it is a
 * plugin and exits 1. \`void serve()\` (no top-level await) keeps it packable
 * as CommonJS: \`qplugin pack\` code-caches it, and \`--sea\` works.
 */
import { RpcError, Status, serve, service } from '@qplugin/go-plugin/plugin';
// The light entry: what a plugin needs (the package root also loads the manager, OpenPGP, zip code).
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

const GREETINGS: Record<string, string> = { en: 'Hello', es: 'Hola' };
let greeting: string | undefined;

void serve({
  handshake: QUORUM_HANDSHAKE,
  services: ({ logger }) => [
    service(PluginInitializer, {
      init(req) {
        // The provider's "config" from the settings file, as raw JSON bytes.
        const text = Buffer.from(req.rawConfiguration).toString('utf8') || '{}';
        let config: { language?: unknown };
        try {
          config = JSON.parse(text) as { language?: unknown };
        } catch (err) {
          throw new RpcError(Status.INVALID_ARGUMENT, \`invalid config: \${(err as Error).message}\`);
        }
        const found = typeof config.language === 'string' ? GREETINGS[config.language] : undefined;
        if (found === undefined)
          throw new RpcError(Status.INVALID_ARGUMENT, \`unsupported language: [\${String(config.language ?? '')}]\`);
        greeting = found;
        logger.info('initialised', { hostIdentity: req.hostIdentity, language: config.language });
        return {};
      },
    }),
    service(PluginGreeting, {
      greeting(req) {
        if (greeting === undefined) throw new RpcError(Status.FAILED_PRECONDITION, 'plugin not initialised');
        return { msg: \`\${greeting} \${req.msg}!\` };
      },
    }),
  ],
});
`;

const TEST = `/** Starts the compiled plugin the way geth does (go-plugin handshake, AutoMTLS) and calls it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PluginClient } from '@qplugin/go-plugin/host';
import { isRpcError, Status } from '@qplugin/go-plugin/protocol';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum';

const main = fileURLToPath(new URL('../src/main.js', import.meta.url));

describe('plugin', () => {
  const client = new PluginClient({ command: process.execPath, args: [main], handshake: QUORUM_HANDSHAKE });
  before(() => client.start());
  after(() => client.kill());

  it('rejects an unsupported language in Init', async () => {
    await assert.rejects(
      client.client(PluginInitializer).init({ hostIdentity: 'test', rawConfiguration: Buffer.from('{"language":"fr"}') }),
      (err: unknown) => isRpcError(err, Status.INVALID_ARGUMENT),
    );
  });

  it('greets after Init', async () => {
    const config = Buffer.from('{"language":"en"}');
    await client.client(PluginInitializer).init({ hostIdentity: 'test', rawConfiguration: config });
    const res = await client.client(PluginGreeting).greeting({ msg: 'Quorum' }, { deadline: 5000 });
    assert.equal(res.msg, 'Hello Quorum!');
  });
});
`;

function readme(name: string): string {
  const { os, arch } = goPlatform();
  const here = `${os}-${arch}`;
  return `# ${name}

A Quorum plugin in TypeScript (Quorum's hello world interface: \`Init\` with \`{"language":"en"|"es"}\`,
then \`Greeting\`).

\`\`\`sh
npm install
npm test          # builds, starts the plugin like geth does, calls Init and Greeting
npm run pack      # dist/plugin/${name}-<version>-${here}.zip and its .sha256sum
qplugin keygen --name "Me" --email me@example.com --out keys
qplugin sign dist/plugin/${name}-1.0.0-${here}.zip --key keys/signing-key.asc
qplugin inspect dist/plugin/${name}-1.0.0-${here}.zip
\`\`\`

The zip is named as geth looks it up, \`<name>-<version>-<os>-<arch>.zip\`, for this machine (${here}).
For another platform: \`npm run pack -- --target-platform linux-amd64\` (Go's names).

Put the zip, its \`.sha256sum.asc\` and \`keys/gpg.key\` into geth's plugin \`baseDir\` and configure
\`"helloworld": {"name": "${name}", "version": "1.0.0", "config": {"language": "en"}}\`.
(\`qplugin\` is \`npx qplugin\` here.)
`;
}

/** Relative path → content. */
export function scaffoldFiles(o: ScaffoldInput): Record<string, string> {
  return {
    'package.json': packageJson(o),
    'tsconfig.json': TSCONFIG,
    'src/main.ts': MAIN,
    'test/plugin.test.ts': TEST,
    '.gitignore': 'node_modules/\ndist/\n',
    'README.md': readme(o.name),
  };
}
