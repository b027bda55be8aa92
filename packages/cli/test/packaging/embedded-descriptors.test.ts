/**
 * Pack-time decoding of protoc-gen-es descriptors: a bundle built with it must
 * hold the same descriptors as one that decodes them at load time, for every
 * generated file of this repository, protobuf-es's well-known types and a
 * fixture with proto2 defaults, groups, extensions, maps, oneofs, options and
 * editions features; and must leave alone what it does not recognise.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { create, fromBinary, toBinary, type DescFile, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { nestedTypes } from '@bufbuild/protobuf/reflect';
import * as esbuild from 'esbuild';

import { embeddedDescriptors, predecodeDescriptors } from '../../src/packaging/embedded-descriptors.js';
import { REPO, scratch } from '../support/cli.js';

const WKT = [
  'any',
  'api',
  'duration',
  'empty',
  'field_mask',
  'struct',
  'timestamp',
  'type',
  'wrappers',
  'compiler/plugin',
];

/** Every `*_pb` file under `dir`, recursively. */
function generated(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /_pb\.[jt]s$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

const FIXTURE_TS = generated(join(REPO, 'packages', 'cli', 'test', 'generated'));
const REPO_JS = [
  join(REPO, 'packages', 'go-plugin', 'dist', 'src', 'generated'),
  join(REPO, 'packages', 'quorum', 'dist', 'src', 'generated'),
  join(REPO, 'interop', 'ts', 'dist', 'src', 'generated'),
].flatMap(generated);

interface Loaded {
  files: DescFile[];
  code: string;
}

/** Bundles an entry importing `modules`, with or without the plugin, and loads it. */
async function load(dir: string, modules: readonly string[], predecode: boolean): Promise<Loaded> {
  const entry = join(dir, 'entry.mjs');
  writeFileSync(
    entry,
    modules.map((m, i) => `import * as m${i} from ${JSON.stringify(m)};`).join('\n') +
      `\nexport const modules = [${modules.map((_, i) => `m${i}`).join(', ')}];\n`,
  );
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: REPO,
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    plugins: predecode ? [embeddedDescriptors()] : [],
  });
  const code = result.outputFiles[0]!.text;
  const out = join(dir, predecode ? 'predecoded.mjs' : 'plain.mjs');
  writeFileSync(out, code);
  const loaded = (await import(pathToFileURL(out).href)) as { modules: Record<string, unknown>[] };
  const files = loaded.modules.flatMap((m) =>
    Object.values(m).filter((v): v is DescFile => (v as { kind?: string } | null)?.kind === 'file'),
  );
  return { files, code };
}

/** Everything a descriptor holds, references to other descriptors by name. */
function shapeOf(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return [...value];
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => shapeOf(v, depth));
  const desc = value as Record<string, unknown>;
  if (depth > 0 && typeof desc.kind === 'string') return `${desc.kind}:${String(desc.typeName ?? desc.name)}`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desc)) {
    if (k === 'parent' || k === 'file' || k === 'proto' || typeof v === 'function') continue;
    out[k] = shapeOf(v, depth + 1);
  }
  if (desc.kind === 'field' || desc.kind === 'extension') {
    out.default = shapeOf((desc as { getDefaultValue(): unknown }).getDefaultValue(), 1);
  }
  return out;
}

function describeFile(file: DescFile): unknown {
  return {
    file: shapeOf(file),
    proto: [...toBinary(FileDescriptorProtoSchema, file.proto)],
    types: [...nestedTypes(file)].map((t) => shapeOf(t)),
  };
}

function schema(files: DescFile[], typeName: string): DescMessage {
  for (const f of files)
    for (const t of nestedTypes(f)) if (t.kind === 'message' && t.typeName === typeName) return t;
  throw new Error(`${typeName} not found`);
}

describe('embeddedDescriptors (pack-time decoding of protoc-gen-es descriptors)', () => {
  it('gives the same descriptors as decoding at load time, for every generated file here and the well-known types', async () => {
    const modules = [
      ...FIXTURE_TS,
      ...REPO_JS,
      ...WKT.map((w) =>
        fileURLToPath(import.meta.resolve(`@bufbuild/protobuf/wkt/google/protobuf/${w}_pb.js`)),
      ),
    ];
    assert.ok(FIXTURE_TS.length >= 2 && REPO_JS.length >= 10, `generated files found: ${modules.join(', ')}`);
    const dir = scratch('qp-descriptors-');
    const [plain, predecoded] = [await load(dir, modules, false), await load(dir, modules, true)];
    assert.ok(plain.code.includes('fileDesc('), 'the control bundle decodes at load time');
    assert.equal(predecoded.files.length, plain.files.length);
    assert.ok(predecoded.files.length >= modules.length);
    for (let i = 0; i < plain.files.length; i++) {
      assert.deepEqual(
        describeFile(predecoded.files[i]!),
        describeFile(plain.files[i]!),
        plain.files[i]!.name,
      );
    }

    // Messages written by one bundle's schema read back the same through the other's.
    const full = {
      fDouble: 0.25,
      fInt64: -5n,
      fUint64: 18446744073709551615n,
      fBytes: new Uint8Array([0, 255]),
      fSint64: '-12',
      fRequired: 'x',
      customJson: 'json',
      unpacked: [1, 2],
      packed: [3, 4],
      legacy: { inside: 9 },
    };
    const before = toBinary(
      schema(plain.files, 'fixture.kinds.Scalars'),
      create(schema(plain.files, 'fixture.kinds.Scalars'), full),
    );
    const read = fromBinary(schema(predecoded.files, 'fixture.kinds.Scalars'), before);
    const fields = read as unknown as Record<string, unknown>;
    assert.equal(fields.fBool, true, 'proto2 default from the predecoded descriptor');
    assert.equal(fields.fString, 'a "quoted" default');
    assert.deepEqual(toBinary(schema(predecoded.files, 'fixture.kinds.Scalars'), read), before);
    const shapes = schema(plain.files, 'fixture.kinds.Shapes');
    const shape = create(shapes, {
      choice: { case: 'text', value: 't' },
      byName: { a: { mode: 1, children: [{}] } },
      byNumber: { '7': new Uint8Array([1]) },
      feature: { name: 'n', count: 0, values: [1, 2], child: { name: 'c', legacy: 'r' }, legacy: 'l' },
    });
    const bytes = toBinary(shapes, shape);
    const predecodedShapes = schema(predecoded.files, 'fixture.kinds.Shapes');
    assert.deepEqual(toBinary(predecodedShapes, fromBinary(predecodedShapes, bytes)), bytes);
  });

  it("drops descriptor.proto's schema out of a bundle of this repository's generated files", async () => {
    const dir = scratch('qp-descriptors-');
    const [plain, predecoded] = [await load(dir, REPO_JS, false), await load(dir, REPO_JS, true)];
    assert.ok(
      plain.code.includes('google/protobuf/descriptor.proto'),
      'control: the plain bundle boots descriptor.proto',
    );
    assert.ok(!predecoded.code.includes('google/protobuf/descriptor.proto'));
    assert.ok(!predecoded.code.includes('fileDesc('));
    assert.deepEqual(
      predecoded.files.map((f) => f.name),
      plain.files.map((f) => f.name),
    );
  });

  it('leaves a file alone unless it imports fileDesc from protobuf-es and its descriptors decode', async () => {
    const b64 = 'Cgd4LnByb3RvIgMKAU0='; // file "x.proto" with an empty message M
    const esm = `import { fileDesc } from "@bufbuild/protobuf/codegenv2";\nexport const f = fileDesc("${b64}");\n`;
    const rewritten = await predecodeDescriptors(esm);
    assert.ok(rewritten?.includes('"x.proto"') && !rewritten.includes(b64));
    assert.equal(
      await predecodeDescriptors(
        `const { fileDesc } = require("@bufbuild/protobuf/codegenv2");\nfileDesc("${b64}");\n`,
      ),
      undefined,
    );
    assert.equal(
      await predecodeDescriptors(`import { fileDesc } from "./elsewhere.js";\nfileDesc("${b64}");\n`),
      undefined,
    );
    assert.equal(
      await predecodeDescriptors(esm.replace(b64, '/w==')),
      undefined,
      'bytes that are no FileDescriptorProto',
    );
    assert.equal(
      await predecodeDescriptors('import { messageDesc } from "@bufbuild/protobuf/codegenv2";\n'),
      undefined,
    );
  });

  it('leaves a file alone when the protobuf-es it imports is another version than the packer’s', async () => {
    const dir = scratch('qp-descriptors-');
    const pkg = join(dir, 'node_modules', '@bufbuild', 'protobuf');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: '@bufbuild/protobuf',
        version: '2.0.0-other',
        type: 'module',
        exports: { '.': './index.js', './codegenv2': './codegenv2.js' },
      }),
    );
    writeFileSync(
      join(pkg, 'index.js'),
      'export const createFileRegistry = () => { throw new Error("not this one"); };\n',
    );
    writeFileSync(join(pkg, 'codegenv2.js'), 'export const fileDesc = (b64) => ({ kind: "file", b64 });\n');
    writeFileSync(
      join(dir, 'x_pb.js'),
      'import { fileDesc } from "@bufbuild/protobuf/codegenv2";\nexport const file_x = fileDesc("Cgd4LnByb3RvIgMKAU0=");\n',
    );
    const result = await esbuild.build({
      entryPoints: [join(dir, 'x_pb.js')],
      bundle: true,
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [embeddedDescriptors()],
    });
    assert.match(result.outputFiles[0]!.text, /fileDesc\("Cgd4LnByb3RvIgMKAU0="\)/);
  });
});
