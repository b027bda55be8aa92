/**
 * Pack-time decoding of the descriptors protoc-gen-es embeds in generated code.
 *
 * A generated `*_pb` module describes its .proto file as base64
 * (`fileDesc("…", [deps])`). Decoding it at load time needs descriptor.proto's
 * own schema, which protobuf-es builds first (its "boot"), then a binary parse
 * of every file: ~14 ms of a TS plugin's ~85 ms start on Node 24 (findings
 * §35). The descriptor is the same every time, so the bundler decodes it once
 * and writes the FileDescriptorProto as an object literal, which protobuf-es's
 * registry takes as it is; descriptor.proto's schema then drops out of the
 * bundle. A file is left as it was when anything is unexpected: not an ES
 * module importing `fileDesc` from protobuf-es, a descriptor that does not
 * decode, or a protobuf-es resolved from the file other than the packer's own
 * version (the object's shape is that version's).
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type { Plugin, PluginBuild } from 'esbuild';
import type { DescriptorProto, FileDescriptorProto } from '@bufbuild/protobuf/wkt';

/** `fileDesc("<base64>")` or `fileDesc("<base64>", [file_a, file_b])`, as protoc-gen-es writes it. */
const CALL = /\bfileDesc\(\s*"([A-Za-z0-9+/=_-]*)"\s*(?:,\s*(\[[\w$\s,]*\]))?\s*\)/g;
/** The ES import of `fileDesc` from protobuf-es's codegen entry (or its file, inside protobuf-es). */
const IMPORT =
  /\bimport\s*\{[^}]*\bfileDesc\b[^}]*\}\s*from\s*["'](@bufbuild\/protobuf\/codegenv[12]|[./]+\/codegenv[12]\/file\.js)["']/;
const PREFIX = '__qpluginDesc';

interface Decoder {
  decode(b64: string): FileDescriptorProto;
  camelCase(name: string): string;
}

let decoder: Promise<Decoder> | undefined;

/** protobuf-es's decoding, loaded on first use (the `pack` command loads no protobuf code until it bundles). */
function loadDecoder(): Promise<Decoder> {
  decoder ??= (async () => {
    const [{ fromBinary }, { FileDescriptorProtoSchema }, { base64Decode }, { protoCamelCase }] =
      await Promise.all([
        import('@bufbuild/protobuf'),
        import('@bufbuild/protobuf/wkt'),
        import('@bufbuild/protobuf/wire'),
        import('@bufbuild/protobuf/reflect'),
      ]);
    return {
      decode: (b64) => fromBinary(FileDescriptorProtoSchema, base64Decode(b64)),
      camelCase: protoCamelCase,
    };
  })();
  return decoder;
}

/**
 * The source with every embedded descriptor decoded, or undefined when there
 * is nothing to decode or the file is not in the expected form.
 */
export async function predecodeDescriptors(source: string): Promise<string | undefined> {
  if (!IMPORT.test(source)) return undefined;
  const { decode, camelCase } = await loadDecoder();
  const constants: string[] = [];
  const prototypes = new Map<object, string>();
  let failed = false;
  const rewritten = source.replace(CALL, (call, b64: string, deps: string | undefined) => {
    let proto;
    try {
      proto = decode(b64);
    } catch {
      failed = true;
      return call;
    }
    // What fileDesc does after decoding: json names the generator left out are the camel-case ones.
    for (const message of proto.messageType) restoreJsonNames(message, camelCase);
    return `${PREFIX}File(${literal(proto, constants, prototypes)}, ${deps ?? 'undefined'})`;
  });
  if (failed || rewritten === source) return undefined;
  return `${runtime()}${constants.join('\n')}\n${rewritten}`;
}

/** The helpers a rewritten file needs, in its own scope. */
function runtime(): string {
  return (
    `import { createFileRegistry as ${PREFIX}Registry } from "@bufbuild/protobuf";\n` +
    // A message with presence keeps its defaults on a prototype, as protobuf-es's create() does.
    `const ${PREFIX}Msg = (proto, own) => Object.assign(Object.create(proto), own);\n` +
    `function ${PREFIX}File(proto, deps) {\n` +
    `  proto.dependency = deps ? deps.map((f) => f.proto.name) : [];\n` +
    `  return ${PREFIX}Registry(proto, (name) => deps?.find((f) => f.proto.name === name)).getFile(proto.name);\n` +
    `}\n`
  );
}

function restoreJsonNames(message: DescriptorProto, camelCase: (name: string) => string): void {
  for (const field of message.field) {
    if (!Object.prototype.hasOwnProperty.call(field, 'jsonName')) field.jsonName = camelCase(field.name);
  }
  for (const nested of message.nestedType) restoreJsonNames(nested, camelCase);
}

/**
 * JavaScript source that rebuilds `value`: own properties as a literal, and a
 * message's prototype (its defaults) once per file as a constant.
 */
function literal(value: unknown, constants: string[], prototypes: Map<object, string>): string {
  if (value === undefined) return 'void 0';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (value instanceof Uint8Array) return `new Uint8Array([${value.join(',')}])`;
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, constants, prototypes)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const own = `{${Object.keys(record)
    .map((k) => `${JSON.stringify(k)}:${literal(record[k], constants, prototypes)}`)
    .join(',')}}`;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) return own;
  let name = prototypes.get(proto);
  if (name === undefined) {
    name = `${PREFIX}P${prototypes.size}`;
    prototypes.set(proto, name);
    constants.push(`const ${name} = ${literal({ ...proto }, constants, prototypes)};`);
  }
  return `${PREFIX}Msg(${name}, ${own})`;
}

/** The version of the @bufbuild/protobuf whose entry file is `entry`, or undefined. */
function versionOf(entry: string): string | undefined {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@bufbuild/protobuf') return pkg.version;
    } catch {
      // No package.json here: look further up.
    }
  }
  return undefined;
}

let ownVersion: string | undefined;

/** Does the protobuf-es that `dir` imports have our version (so our decoded objects fit it)? */
async function sameRuntime(build: PluginBuild, dir: string, cache: Map<string, boolean>): Promise<boolean> {
  const cached = cache.get(dir);
  if (cached !== undefined) return cached;
  ownVersion ??= versionOf(createRequire(import.meta.url).resolve('@bufbuild/protobuf'));
  const found = await build.resolve('@bufbuild/protobuf', { resolveDir: dir, kind: 'import-statement' });
  const same = found.errors.length === 0 && ownVersion !== undefined && versionOf(found.path) === ownVersion;
  cache.set(dir, same);
  return same;
}

/** The esbuild plugin: generated `*_pb` modules get their descriptors decoded at bundle time. */
export function embeddedDescriptors(): Plugin {
  return {
    name: 'qplugin-embedded-descriptors',
    setup(build) {
      const runtimes = new Map<string, boolean>();
      build.onLoad({ filter: /_pb\.[cm]?[jt]s$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const rewritten = await predecodeDescriptors(source);
        if (rewritten === undefined || !(await sameRuntime(build, dirname(args.path), runtimes)))
          return undefined;
        return {
          contents: rewritten,
          loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js',
          resolveDir: dirname(args.path),
        };
      });
    },
  };
}
