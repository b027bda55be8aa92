/** `qplugin pack`: a distribution zip geth loads, from a TS/JS plugin or an executable. */
import { stat } from 'node:fs/promises';

import { DEFAULT_NODE_FLAGS, packPlugin } from '../packaging/index.js';
import { parseNodeFlags } from '../packaging/node-flags.js';
import type { PackOptions, PackResult } from '../packaging/index.js';
import { bool, str, strs, UsageError } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { humanBytes, rows } from '../format.js';
import type { Io } from '../output.js';
import { printResult } from '../output.js';

/** `--file name=path` pairs; later duplicates are an error rather than a silent override. */
function extraFiles(specs: readonly string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1)
      throw new UsageError(`--file ${JSON.stringify(spec)} must be NAME=PATH`);
    const name = spec.slice(0, eq);
    if (name in files) throw new UsageError(`--file ${name} given twice`);
    files[name] = spec.slice(eq + 1);
  }
  return files;
}

/**
 * A one-line elapsed-time ticker on stderr while packPlugin works (it has no
 * progress callback); only on a terminal, and erased when done so the
 * result lines stay clean.
 */
function ticker(io: Io, label: string): () => void {
  const err = io.stderr as NodeJS.WriteStream;
  if (io.json || err.isTTY !== true) return () => undefined;
  const t0 = Date.now();
  const draw = (): void => {
    err.write(`\r\x1b[K${label} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  };
  draw();
  const timer = setInterval(draw, 100);
  return () => {
    clearInterval(timer);
    err.write('\r\x1b[K');
  };
}

const FORMATS: Readonly<Record<PackResult['format'], string>> = {
  'code-cache': 'CommonJS bundle + V8 code cache, behind a loader',
  bundle: 'ES module bundle',
  sea: 'single executable',
  executable: 'executable, copied',
};

const PLAIN_NAME_WARNING =
  'geth will not find this zip: it looks for <name>-<version>-<os>-<arch>.zip (pack without --plain-name)';

/** Node's names for platforms people write by habit, and Go's for them. */
const NODE_NAMES: Readonly<Record<string, string>> = { win32: 'windows', x64: 'amd64', ia32: '386' };

/** `--target-platform linux-amd64` → Go's GOOS and GOARCH. */
export function targetPlatform(spec: string): { os: string; arch: string } {
  const m = /^([a-z0-9]+)-([a-z0-9]+)$/.exec(spec);
  if (!m)
    throw new UsageError(
      `--target-platform ${JSON.stringify(spec)} must be OS-ARCH in Go's names, e.g. linux-amd64 or darwin-arm64`,
    );
  const [, os, arch] = m as unknown as [string, string, string];
  const wrong = [os, arch].filter((n) => n in NODE_NAMES);
  if (wrong.length > 0) {
    const go = `${NODE_NAMES[os] ?? os}-${NODE_NAMES[arch] ?? arch}`;
    throw new UsageError(
      `--target-platform ${spec} uses Node's name ${wrong.join(' and ')}: geth looks for Go's names, here ${go}`,
    );
  }
  return { os, arch };
}

async function inputBytes(paths: readonly string[]): Promise<number> {
  let total = 0;
  for (const p of paths) total += (await stat(p).catch(() => undefined))?.size ?? 0;
  return total;
}

/** Why a TS/JS plugin starts with no flags. */
function nodeFlagsNone(packed: { sea?: unknown }, asked: readonly string[] | undefined): string {
  if (asked !== undefined && asked.length === 0) return 'none';
  return packed.sea
    ? "none (this Node.js takes no execArgv in a single executable's config)"
    : "none (the entry's own #! line starts it)";
}

export const pack: Command = {
  name: 'pack',
  usage:
    'qplugin pack --name N --version V (--entry FILE | --executable FILE) [--entrypoint NAME] [--param P ...] [--target-platform OS-ARCH] [--plain-name] [--file name=path ...] [--out DIR] [--no-minify] [--node-flags=FLAGS] [--code-cache | --no-code-cache | --sea [--node PATH] [--snapshot]]',
  options: {
    name: { type: 'string', value: 'N', description: 'plugin name, e.g. quorum-plugin-hello-world' },
    version: { type: 'string', value: 'V', description: 'plugin version, e.g. 1.0.0' },
    entry: {
      type: 'string',
      value: 'FILE',
      description: 'TS/JS plugin module, bundled with esbuild into one executable file',
    },
    executable: {
      type: 'string',
      value: 'FILE',
      description: 'existing executable (e.g. a Go binary), copied',
    },
    entrypoint: {
      type: 'string',
      value: 'NAME',
      description:
        "entrypoint file name in the zip (default <name>.cjs with the code cache, <name>.mjs for an ES module bundle, <name> with --sea, or the executable's name)",
    },
    param: {
      type: 'string',
      value: 'P',
      multiple: true,
      description: 'argument for the entrypoint (plugin-meta.json parameters); repeatable',
    },
    'target-platform': {
      type: 'string',
      value: 'OS-ARCH',
      description:
        "platform the zip is for, in Go's names (linux-amd64, darwin-arm64, windows-amd64): the file name and plugin-meta.json's os/arch (default: the file is named for this machine, the meta names none)",
    },
    'plain-name': {
      type: 'boolean',
      description:
        'name the zip <name>-<version>.zip: geth will not find it (it looks for <name>-<version>-<os>-<arch>.zip)',
    },
    os: {
      type: 'string',
      value: 'OS',
      description: 'Go GOOS; --os OS --arch ARCH is --target-platform OS-ARCH',
    },
    arch: { type: 'string', value: 'ARCH', description: 'Go GOARCH, with --os' },
    'platform-suffix': {
      type: 'boolean',
      description: 'accepted for old scripts: the <name>-<version>-<os>-<arch>.zip name is the default',
    },
    file: {
      type: 'string',
      value: 'NAME=PATH',
      multiple: true,
      description: 'extra file for the zip root; repeatable',
    },
    out: { type: 'string', value: 'DIR', description: 'output directory', default: '.' },
    'no-minify': { type: 'boolean', description: 'keep the bundle readable (bigger, slower to load)' },
    'node-flags': {
      type: 'string',
      value: 'FLAGS',
      description: `Node.js flags the plugin starts with, space-separated, given with = (--node-flags="--a --b"); "" for none (default "${DEFAULT_NODE_FLAGS.join(' ')}": a busy plugin's memory about halves on Node 24, and it starts a little sooner)`,
    },
    'code-cache': {
      type: 'boolean',
      description:
        'require the default format, a CommonJS bundle with a V8 code cache (faster start): fail if the entry uses top-level await or import.meta',
    },
    'no-code-cache': {
      type: 'boolean',
      description:
        'an ES module bundle instead (the default when the entry uses top-level await or import.meta, or --entrypoint is not *.cjs)',
    },
    sea: {
      type: 'boolean',
      description:
        'build a self-contained executable (Node.js single executable application, ~120 MB) instead of a bundle: the host needs no Node.js; no top-level await in the entry',
    },
    node: {
      type: 'string',
      value: 'PATH',
      description:
        'Node.js >= 22 binary the --sea executable is made from (default: the one running qplugin)',
    },
    snapshot: {
      type: 'boolean',
      description:
        '--sea with a V8 startup snapshot instead of a code cache: faster start, not byte-reproducible; module top-level code runs at pack time',
    },
  },
  details:
    'The zip is named <name>-<version>-<os>-<arch>.zip, the name geth looks up in its plugin directory,\n' +
    'for --target-platform or this machine. A bundle runs on any platform with Node.js: pack it once per\n' +
    'platform name you deploy to (the bytes are the same), or copy the zip under each name.\n' +
    'The zip is reproducible: the same inputs give the same bytes (fixed entry order and timestamps),\n' +
    'so its sha256 can be published and checked. The entrypoint is stored with mode 0755, which geth needs.\n' +
    'Exit codes: 0 packed, 1 failed (bad input, bundling error, I/O), 2 usage error.',
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const name = str(values.name);
    const version = str(values.version);
    if (!name) throw new UsageError('--name is required');
    if (!version) throw new UsageError('--version is required');
    const entry = str(values.entry);
    const executable = str(values.executable);
    if ((entry === undefined) === (executable === undefined))
      throw new UsageError('give exactly one of --entry or --executable');
    let os = str(values.os);
    let arch = str(values.arch);
    if ((os === undefined) !== (arch === undefined)) throw new UsageError('give --os and --arch together');
    const target = str(values['target-platform']);
    if (target !== undefined) {
      if (os !== undefined) throw new UsageError('give --target-platform or --os/--arch, not both');
      ({ os, arch } = targetPlatform(target));
    }
    const plainName = bool(values['plain-name']);
    if (plainName && bool(values['platform-suffix']))
      throw new UsageError('give only one of --plain-name and --platform-suffix');
    const sea = bool(values.sea);
    const node = str(values.node);
    const snapshot = bool(values.snapshot);
    if (!sea && (node !== undefined || snapshot)) throw new UsageError('--node and --snapshot go with --sea');
    if (sea && entry === undefined) throw new UsageError('--sea needs --entry (a TS/JS plugin)');
    if (sea && bool(values['code-cache'])) throw new UsageError('give only one of --sea and --code-cache');
    if (bool(values['code-cache']) && bool(values['no-code-cache']))
      throw new UsageError('give only one of --code-cache and --no-code-cache');
    if (entry === undefined && (bool(values['code-cache']) || bool(values['no-code-cache'])))
      throw new UsageError(
        '--code-cache and --no-code-cache go with --entry: an executable is copied as it is',
      );
    const files = extraFiles(strs(values.file));
    const flagsText = str(values['node-flags']);
    if (flagsText !== undefined && entry === undefined)
      throw new UsageError('--node-flags goes with --entry: an executable is copied as it is');
    const nodeFlags = flagsText !== undefined ? parseNodeFlags(flagsText) : undefined;

    const options: PackOptions = {
      name,
      version,
      ...(entry !== undefined ? { entry } : { executable: executable! }),
      ...(str(values.entrypoint) !== undefined ? { entrypoint: str(values.entrypoint)! } : {}),
      parameters: strs(values.param),
      ...(os !== undefined ? { os, arch: arch! } : {}),
      plainName,
      files,
      outDir: str(values.out) ?? '.',
      minify: !bool(values['no-minify']),
      ...(bool(values['code-cache'])
        ? { codeCache: true }
        : bool(values['no-code-cache'])
          ? { codeCache: false }
          : {}),
      ...(sea ? { sea: { ...(node !== undefined ? { node } : {}), snapshot } } : {}),
      ...(nodeFlags !== undefined ? { nodeFlags } : {}),
    };
    const size = await inputBytes([
      ...(executable !== undefined ? [executable] : []),
      ...Object.values(files),
    ]);
    const label = sea
      ? `building a single executable from ${entry} (bundle, blob, inject, zip ~45 MB)…`
      : entry !== undefined
        ? `bundling ${entry} with esbuild and zipping…`
        : `zipping ${executable} (${humanBytes(size)})…`;
    const done = ticker(io, label);
    let packed;
    try {
      packed = await packPlugin(options);
    } finally {
      done();
    }
    printResult(
      io,
      {
        ok: true,
        zip: packed.zipPath,
        bytes: packed.bytes,
        sha256: packed.checksum,
        checksumFile: packed.checksumPath,
        entrypoint: packed.entrypoint,
        format: packed.format,
        ...(packed.formatNote !== undefined ? { formatNote: packed.formatNote } : {}),
        meta: packed.meta,
        ...(packed.sea ? { sea: packed.sea } : {}),
        ...(entry !== undefined ? { nodeFlags: packed.nodeFlags } : {}),
        ...(plainName ? { warnings: [PLAIN_NAME_WARNING] } : {}),
      },
      `packed ${packed.zipPath}\n` +
        (plainName ? `warning: ${PLAIN_NAME_WARNING}\n` : '') +
        rows(
          [
            ['size', `${packed.bytes} bytes (${humanBytes(packed.bytes)} written)`],
            ['sha256', packed.checksum],
            ['checksum', packed.checksumPath],
            ['entrypoint', packed.entrypoint],
            [
              'format',
              FORMATS[packed.format] + (packed.formatNote ? ` (not code-cached: ${packed.formatNote})` : ''),
            ],
            ['meta', JSON.stringify(packed.meta)],
            ...(entry !== undefined
              ? [
                  [
                    'node flags',
                    packed.nodeFlags.length > 0
                      ? packed.nodeFlags.join(' ')
                      : nodeFlagsNone(packed, nodeFlags),
                  ] as [string, string],
                ]
              : []),
            ...(packed.sea
              ? [
                  [
                    'executable',
                    `${humanBytes(packed.sea.executableBytes)}, Node.js ${packed.sea.nodeVersion} (${packed.sea.node}), ${packed.sea.snapshot ? 'V8 startup snapshot' : 'V8 code cache'}`,
                  ] as [string, string],
                ]
              : []),
          ],
          '  ',
        ) +
        `\nnext: qplugin sign ${packed.zipPath} --key signing-key.asc`,
    );
    return ExitCode.ok;
  },
};
