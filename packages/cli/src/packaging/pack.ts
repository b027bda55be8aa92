/**
 * `qplugin pack`: a Quorum plugin distribution from a TS/JS plugin (bundled
 * into one executable file) or an existing executable (e.g. a Go binary):
 * `plugin-meta.json` + entrypoint (+ extra files) in a reproducible zip named
 * `<name>-<version>.zip` or `<name>-<version>-<os>-<arch>.zip`, and
 * `<zip>.sha256sum` (hex digest and a newline, as Quorum's Makefiles write it).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { QuorumError } from '@qplugin/quorum/core/internal';
import { goPlatform } from '@qplugin/quorum/core/internal';
import { bundleWithFlags } from './bundle.js';
import { buildCodeCachePlugin, commonJsBundle, requireCommonJsBundle } from './code-cache.js';
import { checkNodeAccepts, checkNodeFlagShapes, DEFAULT_NODE_FLAGS } from './node-flags.js';
import type { SeaOptions } from './sea.js';
import { buildZip } from './zip.js';
import type { ZipEntryInput } from './zip.js';

export interface PackOptions {
  name: string;
  version: string;
  /** A TypeScript/JavaScript plugin entry module, bundled into the entrypoint. */
  entry?: string;
  /** Or an existing executable, copied as the entrypoint. */
  executable?: string;
  /**
   * File name of the entrypoint inside the zip. Default `<name>.cjs` for a
   * code-cached bundle, `<name>.mjs` for an ES module bundle, `<name>` for a
   * single executable, the executable's name otherwise.
   */
  entrypoint?: string;
  parameters?: readonly string[];
  /**
   * Go's GOOS/GOARCH of the target platform: written into plugin-meta.json
   * and used for the `-<os>-<arch>` file name. Without them the file is
   * named for this machine and the meta names no platform.
   */
  os?: string;
  arch?: string;
  /**
   * Name the zip `<name>-<version>.zip`, which geth (>= 21.4.1) does not look
   * up: only for tools that want that name. Default false: the zip is named
   * `<name>-<version>-<os>-<arch>.zip`, as geth looks for it.
   */
  plainName?: boolean;
  /** @deprecated The platform name is the default; kept so old callers keep working. */
  platformSuffix?: boolean;
  /** More files for the zip (name inside the zip → path on disk). */
  files?: Readonly<Record<string, string>>;
  outDir: string;
  minify?: boolean;
  /**
   * A CommonJS bundle with a V8 code cache behind a small loader (less
   * compiling at each start). Default: when the entry allows it — no top-level
   * `await`, no `import.meta`, no `#!` line of its own other than
   * `#!/usr/bin/env node`, and no `entrypoint` name other than `*.cjs` —
   * else an ES module bundle (PackResult.format and formatNote say which and
   * why). `true`: the code cache or an error; `false`: an ES module bundle.
   */
  codeCache?: boolean;
  /**
   * Build a self-contained executable (Node.js single executable application)
   * from the entry instead of a bundle run by `node`. The zip is then for the
   * platform of `sea.node` (os/arch in plugin-meta.json and the file name).
   */
  sea?: boolean | SeaOptions;
  /**
   * Node.js flags the plugin starts with (TS/JS entries only). Default
   * DEFAULT_NODE_FLAGS (`--max-semi-space-size=4 --min-semi-space-size=4`: a
   * busy plugin's RSS about halves on Node 24, and it starts a little sooner);
   * `[]` for none. A bundle whose entry has its own `#!` line, other than a
   * plain `#!/usr/bin/env node`, keeps it and gets no flags.
   */
  nodeFlags?: readonly string[];
}

export interface PackResult {
  zipPath: string;
  checksum: string;
  checksumPath: string;
  entrypoint: string;
  bytes: number;
  meta: Record<string, unknown>;
  /** For `sea`: how the executable was made. */
  sea?: { node: string; nodeVersion: string; snapshot: boolean; executableBytes: number };
  /** The Node.js flags the entrypoint starts the plugin with (none for an executable). */
  nodeFlags: string[];
  /** What the entrypoint is: a code-cached CommonJS bundle, an ES module bundle, a single executable, a copied executable. */
  format: 'code-cache' | 'bundle' | 'sea' | 'executable';
  /** Why a TS/JS entry packed by default is an ES module bundle rather than code-cached. */
  formatNote?: string;
}

const CLEAN = /^[\w\-.]+$/;

function invalid(message: string, fix: string): QuorumError {
  return new QuorumError('PACK_INPUT', message, { fix });
}

/** plugin-meta.json with sorted keys, so equal inputs give equal bytes. */
function metaJson(meta: Record<string, unknown>): Buffer {
  const sorted = Object.fromEntries(
    Object.keys(meta)
      .sort()
      .map((k) => [k, meta[k]]),
  );
  return Buffer.from(JSON.stringify(sorted, null, 4) + '\n');
}

export async function packPlugin(o: PackOptions): Promise<PackResult> {
  if (!o.name || !CLEAN.test(o.name))
    throw invalid(
      `invalid plugin name ${JSON.stringify(o.name)}`,
      'Use letters, digits, `-`, `_` and `.` only.',
    );
  if (!o.version || !CLEAN.test(o.version))
    throw invalid(
      `invalid plugin version ${JSON.stringify(o.version)}`,
      'Use letters, digits, `-`, `_` and `.` only, e.g. 1.0.0.',
    );
  if ((o.entry === undefined) === (o.executable === undefined)) {
    throw invalid(
      'give exactly one of entry (a TS/JS plugin to bundle) or executable',
      'Pass --entry src/main.ts, or --executable ./my-plugin.',
    );
  }
  if ((o.os === undefined) !== (o.arch === undefined))
    throw invalid(
      'give os and arch together',
      'Pass --target-platform OS-ARCH (Go names, e.g. linux-amd64).',
    );
  for (const [field, value] of [
    ['os', o.os],
    ['arch', o.arch],
  ] as const) {
    if (value !== undefined && !/^[a-z0-9]+$/.test(value))
      throw invalid(
        `${field} ${JSON.stringify(value)} is not a Go ${field === 'os' ? 'GOOS' : 'GOARCH'} name`,
        'Use Go names, e.g. linux, darwin, windows and amd64, arm64.',
      );
  }
  if (o.plainName && o.platformSuffix)
    throw invalid('plainName and platformSuffix contradict each other', 'Give only one.');
  if (o.plainName && o.sea)
    throw invalid(
      'a single executable runs on one platform: its zip is always named for it',
      'Drop --plain-name with --sea.',
    );
  if (o.codeCache && o.entry === undefined) {
    throw invalid('a code cache needs a TS/JS entry to bundle', 'Drop --code-cache for an executable.');
  }
  const sea = o.sea === true ? {} : o.sea || undefined;
  if (sea && o.entry === undefined) {
    throw invalid('a single executable needs a TS/JS entry', 'Drop --sea for an existing executable.');
  }
  if (sea && o.codeCache) {
    throw invalid(
      'a single executable carries its own snapshot or code cache',
      'Give only one of --sea and --code-cache.',
    );
  }
  if (o.nodeFlags !== undefined && o.executable !== undefined && o.nodeFlags.length > 0) {
    throw invalid(
      'Node.js flags go with a TS/JS entry: an executable is copied as it is',
      'Drop --node-flags for an executable.',
    );
  }
  const nodeFlags = o.entry !== undefined ? [...(o.nodeFlags ?? DEFAULT_NODE_FLAGS)] : [];
  checkNodeFlagShapes(nodeFlags);
  // A code-cached bundle's default name, `<name>.cjs`, is set once the bundle is made.
  let entrypoint =
    o.entrypoint ?? (sea ? o.name : o.entry !== undefined ? `${o.name}.mjs` : basename(o.executable!));
  if (!CLEAN.test(entrypoint)) {
    throw invalid(
      `entrypoint ${JSON.stringify(entrypoint)} is not a plain file name`,
      'geth accepts only letters, digits, `-`, `_` and `.` in the entrypoint.',
    );
  }
  let format: PackResult['format'] = sea ? 'sea' : o.entry !== undefined ? 'bundle' : 'executable';
  let formatNote: string | undefined;
  let program: Buffer;
  const companions: ZipEntryInput[] = [];
  let os = o.os;
  let arch = o.arch;
  let seaInfo: PackResult['sea'];
  let flagsApplied: string[] = [];
  let cjs: { code?: string; note?: string } | undefined;
  // A single executable's flags are checked by its own Node (sea.ts); the others run on the host's node.
  if (!sea) await checkNodeAccepts(process.execPath, nodeFlags);
  if (o.entry !== undefined && sea) {
    // Loaded only here: the SEA builder needs postject, and a plain pack should not pay for it.
    const { buildSeaExecutable } = await import('./sea.js');
    const built = await buildSeaExecutable(o.entry, entrypoint, {
      minify: o.minify,
      ...sea,
      nodeFlags,
      expect: { os: o.os, arch: o.arch },
    });
    flagsApplied = built.nodeFlags;
    ({ os, arch } = built);
    program = built.executable;
    seaInfo = {
      node: built.node,
      nodeVersion: built.nodeVersion,
      snapshot: built.snapshot,
      executableBytes: built.executable.length,
    };
  } else if (o.entry !== undefined && (cjs = await commonJsFor(o)).code !== undefined) {
    if (o.entrypoint === undefined) entrypoint = `${o.name}.cjs`;
    const base = entrypoint.replace(/\.c?js$/, '');
    const built = await buildCodeCachePlugin(cjs.code, base, nodeFlags);
    program = built.loader;
    flagsApplied = nodeFlags;
    format = 'code-cache';
    companions.push(
      { name: `${base}.bundle.js`, data: built.bundle },
      { name: `${base}.bundle.js.cache`, data: built.cache },
    );
  } else if (o.entry !== undefined) {
    formatNote = cjs?.note;
    const built = await bundleWithFlags(o.entry, { minify: o.minify, nodeFlags });
    program = built.code;
    flagsApplied = built.nodeFlags;
  } else {
    const st = await stat(o.executable!).catch(() => undefined);
    if (!st?.isFile())
      throw invalid(
        `executable ${o.executable} is not a file`,
        'Point --executable at the built plugin binary or script.',
      );
    program = await readFile(o.executable!);
  }
  const meta: Record<string, unknown> = { name: o.name, version: o.version, entrypoint };
  if (o.parameters && o.parameters.length > 0) meta.parameters = [...o.parameters];
  if (os) meta.os = os;
  if (arch) meta.arch = arch;

  const entries: ZipEntryInput[] = [
    { name: 'plugin-meta.json', data: metaJson(meta) },
    { name: entrypoint, data: program, executable: true },
    ...companions,
  ];
  for (const [name, path] of Object.entries(o.files ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (name === entrypoint || name === 'plugin-meta.json' || companions.some((c) => c.name === name))
      throw invalid(`extra file ${name} clashes with a generated one`, 'Rename the extra file.');
    entries.push({ name, data: await readFile(path), executable: ((await stat(path)).mode & 0o111) !== 0 });
  }
  const zip = await buildZip(entries);
  // Named as geth looks it up: for the target platform, this machine's unless told.
  // A bundle runs wherever Node does, so the meta names a platform only when one was given.
  const target = os && arch ? { os, arch } : goPlatform();
  const fileName = o.plainName
    ? `${o.name}-${o.version}.zip`
    : `${o.name}-${o.version}-${target.os}-${target.arch}.zip`;
  await mkdir(o.outDir, { recursive: true });
  const zipPath = join(o.outDir, fileName);
  await writeFile(zipPath, zip);
  const checksum = createHash('sha256').update(zip).digest('hex');
  const checksumPath = `${zipPath}.sha256sum`;
  await writeFile(checksumPath, `${checksum}\n`);
  return {
    zipPath,
    checksum,
    checksumPath,
    entrypoint,
    bytes: zip.length,
    meta,
    ...(seaInfo ? { sea: seaInfo } : {}),
    nodeFlags: flagsApplied,
    format,
    ...(formatNote !== undefined ? { formatNote } : {}),
  };
}

/**
 * The CommonJS bundle for the code cache, if this pack makes one: always when
 * asked (an obstacle is an error), never when declined, and by default when
 * nothing stands in the way (else a note saying what did).
 */
async function commonJsFor(o: PackOptions): Promise<{ code?: string; note?: string }> {
  const entry = o.entry!;
  const minify = o.minify ?? true;
  if (o.codeCache === true) return { code: await requireCommonJsBundle(entry, minify) };
  if (o.codeCache === false) return {};
  if (o.entrypoint !== undefined && !o.entrypoint.endsWith('.cjs'))
    return { note: `entrypoint ${o.entrypoint} is not a *.cjs name, which the code-cache loader needs` };
  const firstLine = /^#!.*/.exec(await readFile(entry, 'utf8'))?.[0].trim();
  if (firstLine !== undefined && firstLine !== '#!/usr/bin/env node')
    return {
      note: `the entry's own first line ${JSON.stringify(firstLine)} is kept, as in an ES module bundle`,
    };
  const bundle = await commonJsBundle(entry, minify);
  return 'code' in bundle ? { code: bundle.code } : { note: bundle.obstacle };
}
