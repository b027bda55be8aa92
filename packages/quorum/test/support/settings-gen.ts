/**
 * Structure-aware generators for the settings fuzz: documents shaped like
 * geth's plugin settings (known keys in any case, typos, repeats, every
 * value type where a string is expected, configs of every kind including
 * file:// and env:// references), written as JSON or TOML with the syntax
 * variations each format allows, plus the dictionaries for byte mutation.
 */
import type { Rng } from '@qplugin/go-plugin/testing';

/** A JSON value; objects are entry lists so that keys can repeat. */
export type Value = null | boolean | number | string | Value[] | { entries: [string, Value][] };

export interface GenContext {
  /** The case directory (cwd of the load): the only place baseDir may point to. */
  caseDir: string;
  /** Depth of nesting at which one generated config may sit (the limit is 10,000). */
  deep: boolean;
  /** Whether one string may be very long. */
  long: boolean;
}

const INTERFACES = [
  'helloworld',
  'HelloWorld',
  'HELLOWORLD',
  'security',
  'account',
  'qlighttokenmanager',
  'qlight',
  'hello-world',
  'hello_world',
  'unknown',
  '',
  '__proto__',
  'constructor',
];
const SETTINGS_KEYS = [
  'baseDir',
  'BASEDIR',
  'basedir',
  'central',
  'Central',
  'providers',
  'PROVIDERS',
  'provider',
  'baseDirr',
];
const CENTRAL_KEYS = [
  'baseURL',
  'certFingerprint',
  'publicKeyURI',
  'insecureSkipTLSVerify',
  'pluginDistPathTemplate',
  'pluginSigPathTemplate',
  'BaseUrl',
  'certFingerPrint',
];
const DEFINITION_KEYS = ['name', 'version', 'config', 'Name', 'VERSION', 'Config', 'nmae', 'configs'];

function randomString(rng: Rng, ctx: GenContext): string {
  switch (rng.int(8)) {
    case 0:
      return '';
    case 1:
      return rng.text(rng.size(40));
    case 2:
      return rng.pick(['1.0.0', 'quorum-plugin-hello-world', 'x', ' ', '\u0000', 'é', '\ud800', '😀']);
    case 3:
      return ctx.long && rng.chance(0.2)
        ? 'L'.repeat(rng.range(100_000, 600_000))
        : 'a'.repeat(rng.size(300));
    default:
      return rng.text(rng.size(12));
  }
}

function randomNumber(rng: Rng): number {
  return rng.pick([0, -0, 1, -1, 1.5, 1e21, 1e-7, 2 ** 53 + 1, Number.MAX_VALUE, 5e-324, rng.int(1000)]);
}

/** Any JSON value, nesting up to `depth` more levels. */
export function randomValue(rng: Rng, ctx: GenContext, depth: number): Value {
  const r = rng.int(depth > 0 ? 8 : 5);
  if (r === 0) return null;
  if (r === 1) return rng.chance(0.5);
  if (r === 2) return randomNumber(rng);
  if (r <= 4) return randomString(rng, ctx);
  if (r === 5) return Array.from({ length: rng.size(6) }, () => randomValue(rng, ctx, depth - 1));
  const entries: [string, Value][] = Array.from({ length: rng.size(6) }, () => [
    rng.chance(0.7) ? rng.pick(['a', 'b', 'k', 'language', '__proto__', 'a.b', '']) : rng.text(rng.size(8)),
    randomValue(rng, ctx, depth - 1),
  ]);
  return { entries };
}

function nested(levels: number, leaf: Value): Value {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/** A provider's config: references, inline JSON text, values of every type, sometimes very deep. */
function randomConfig(rng: Rng, ctx: GenContext): Value {
  if (ctx.deep && rng.chance(0.5)) return nested(rng.pick([4000, 9996, 9997, 9998, 20_000]), rng.int(3));
  switch (rng.int(6)) {
    case 0:
      return rng.pick([
        'file://./config.json',
        'file://config.json',
        'file://./missing.json',
        'file://./',
        'file://./sub',
        'env://CFG_TEXT',
        'env://CFG_FILE?type=file',
        'env://CFG_MISSING',
        'env://CFG_TEXT?type=file',
        'FILE://./config.json',
        'file://%zz',
        'env://',
        '{"language":"es"}',
      ]);
    case 1:
      return { entries: [['language', rng.pick(['en', 'es', 1, null])]] };
    default:
      return randomValue(rng, ctx, 4);
  }
}

/** baseDir values: relative or inside the case directory, env references, the wrong types. */
function randomBaseDir(rng: Rng, ctx: GenContext): Value {
  const r = rng.int(10);
  if (r < 6)
    return rng.pick([
      'plugins',
      './p',
      'a/b/c',
      '',
      'env://CFG_TEXT',
      'env://NOPE',
      'env://',
      'with space',
      'x\\y',
    ]);
  if (r < 8) return `${ctx.caseDir}/${rng.pick(['abs', 'config.json/under-a-file', 'sub'])}`;
  return randomValue(rng, ctx, 1);
}

function randomCentral(rng: Rng, ctx: GenContext): Value {
  if (rng.chance(0.1)) return randomValue(rng, ctx, 1);
  const entries: [string, Value][] = [];
  for (let i = rng.size(6); i > 0; i--) {
    const key = rng.pick(CENTRAL_KEYS);
    const template = rng.pick([
      'bin/{{.Name}}-{{.Version}}.zip',
      '{{.Nmae}}',
      '{{',
      '{{.Name | printf "%s"}}',
      '{{/* c */}}x',
      `{{.Name}}${'y'.repeat(rng.size(5000))}`,
      '{{- .OS -}}/{{.Arch}}',
    ]);
    const value: Value = key.toLowerCase().includes('template')
      ? rng.chance(0.9)
        ? template
        : randomValue(rng, ctx, 1)
      : key === 'insecureSkipTLSVerify'
        ? rng.chance(0.9)
          ? rng.chance(0.5)
          : randomValue(rng, ctx, 1)
        : rng.chance(0.9)
          ? rng.pick(['https://central.example/', 'gpg.key', '', 'AB:CD', 'not a url'])
          : randomValue(rng, ctx, 1);
    entries.push([key, value]);
  }
  return { entries };
}

function randomDefinition(rng: Rng, ctx: GenContext): Value {
  if (rng.chance(0.1)) return randomValue(rng, ctx, 1);
  const entries: [string, Value][] = [];
  if (rng.chance(0.9))
    entries.push(['name', rng.chance(0.8) ? 'quorum-plugin-hello-world' : randomValue(rng, ctx, 1)]);
  if (rng.chance(0.9)) entries.push(['version', rng.chance(0.8) ? '1.0.0' : randomValue(rng, ctx, 1)]);
  if (rng.chance(0.7)) entries.push(['config', randomConfig(rng, ctx)]);
  if (rng.chance(0.2)) entries.push([rng.pick(DEFINITION_KEYS), randomValue(rng, ctx, 2)]);
  return { entries: shuffle(rng, entries) };
}

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A settings document as a value tree. */
export function randomSettings(rng: Rng, ctx: GenContext): Value {
  if (rng.chance(0.05)) return randomValue(rng, ctx, 2);
  const entries: [string, Value][] = [];
  if (rng.chance(0.6)) entries.push(['baseDir', randomBaseDir(rng, ctx)]);
  if (rng.chance(0.4)) entries.push(['central', randomCentral(rng, ctx)]);
  if (rng.chance(0.95)) {
    const providers: [string, Value][] = Array.from({ length: rng.range(0, 4) }, () => [
      rng.chance(0.8) ? rng.pick(INTERFACES.slice(0, 6)) : rng.pick(INTERFACES),
      randomDefinition(rng, ctx),
    ]);
    entries.push(['providers', rng.chance(0.95) ? { entries: providers } : randomValue(rng, ctx, 1)]);
  }
  // Known keys in other spellings (Go matches them case-insensitively), typos, repeats.
  if (rng.chance(0.2)) entries.push([rng.pick(SETTINGS_KEYS), randomValue(rng, ctx, 1)]);
  return { entries: shuffle(rng, entries) };
}

// ---------------------------------------------------------------- JSON text

const JSON_WS = ['', '', '', ' ', '\n', '\t', '\r\n', '  '];

function jsonString(rng: Rng, s: string): string {
  if (rng.chance(0.7) || s.length > 1000) return JSON.stringify(s);
  // Escape some characters differently (\u form, \/), as other writers do.
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\' || code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (ch === '/' && rng.chance(0.5)) out += '\\/';
    else if (code > 0xffff && rng.chance(0.5)) {
      const hi = 0xd800 + ((code - 0x10000) >> 10);
      const lo = 0xdc00 + ((code - 0x10000) & 0x3ff);
      out += `\\u${hi.toString(16)}\\u${lo.toString(16).toUpperCase()}`;
    } else if (rng.chance(0.1)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function jsonNumber(rng: Rng, n: number): string {
  if (Object.is(n, -0)) return rng.pick(['-0', '-0.0', '-0e0']);
  if (rng.chance(0.8)) return String(n);
  // Other spellings of the same number where the literal allows them, else other numbers.
  if (Number.isSafeInteger(n)) return rng.pick([`${n}e0`, `${n}.0`, `${n}E+0`]);
  return rng.pick(['1E400', '-1e400', '0.000', '1e+2', '10E-1']);
}

/** Writes a value tree as JSON with random whitespace and escaping, iteratively (trees may be deep). */
export function writeJson(rng: Rng, root: Value): string {
  const out: string[] = [];
  const ws = (): string => (rng.chance(0.8) ? '' : rng.pick(JSON_WS));
  type Item = { value: Value } | { text: string };
  const stack: Item[] = [{ value: root }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const v = item.value;
    if (v === null) out.push('null');
    else if (typeof v === 'boolean') out.push(String(v));
    else if (typeof v === 'number') out.push(jsonNumber(rng, v));
    else if (typeof v === 'string') out.push(jsonString(rng, v));
    else if (Array.isArray(v)) {
      out.push('[', ws());
      const parts: Item[] = [];
      v.forEach((x, i) => {
        if (i > 0) parts.push({ text: `${ws()},${ws()}` });
        parts.push({ value: x });
      });
      parts.push({ text: `${ws()}]` });
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
    } else {
      out.push('{', ws());
      const parts: Item[] = [];
      v.entries.forEach(([k, x], i) => {
        if (i > 0) parts.push({ text: `${ws()},${ws()}` });
        parts.push({ text: `${jsonString(rng, k)}${ws()}:${ws()}` }, { value: x });
      });
      parts.push({ text: `${ws()}}` });
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
    }
  }
  return ws() + out.join('') + ws();
}

// ---------------------------------------------------------------- TOML text

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Control characters TOML refuses in literal strings (a tab is allowed where `tabOk`). */
function hasControl(s: string, tabOk: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && !(tabOk && c === 0x09)) || c === 0x7f) return true;
  }
  return false;
}

function tomlString(rng: Rng, value: string): string {
  // TOML text must be valid Unicode: mostly repair lone surrogates, sometimes keep one (an error case).
  const s = rng.chance(0.95) ? value.replace(LONE_SURROGATE, '\ufffd') : value;
  const plain = !hasControl(s, true);
  const r = rng.int(6);
  if (r === 0 && plain && !s.includes("'")) return `'${s}'`;
  if (r === 1 && plain && !s.includes('"""') && !s.endsWith('"'))
    return `"""\n${s.replace(/\\/g, '\\\\')}"""`;
  if (r === 2 && plain && !s.includes("'''") && !s.endsWith("'")) return `'''${s}'''`;
  return JSON.stringify(s);
}

/** TOML forbids repeated keys (JSON allows them): keep the last of each, most of the time. */
function tomlEntries(rng: Rng, entries: [string, Value][], name: (key: string) => string): [string, Value][] {
  if (rng.chance(0.05)) return entries;
  const byName = new Map<string, [string, Value]>();
  for (const entry of entries) byName.set(name(entry[0]), entry);
  return [...byName.values()];
}

function tomlKey(rng: Rng, key: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(key) && rng.chance(0.8)) return key;
  const s = rng.chance(0.95) ? key.replace(LONE_SURROGATE, '\ufffd') : key;
  return rng.chance(0.5) || hasControl(s, false) || s.includes("'") ? JSON.stringify(s) : `'${s}'`;
}

function tomlScalar(rng: Rng, v: Value): string | undefined {
  if (v === null) return rng.pick(['""', '{}', 'nan']); // TOML has no null
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e15)
      return rng.pick([
        String(v),
        `0x${Math.abs(v).toString(16)}`,
        `0o${Math.abs(v).toString(8)}`,
        `${v}`.replace(/(\d)(?=(\d{3})+$)/g, '$1_'),
      ]);
    return rng.pick([String(v), 'inf', '-inf', 'nan', '1e400', '6.626e-34']);
  }
  if (typeof v === 'string') {
    if (rng.chance(0.05))
      return rng.pick(['1979-05-27T07:32:00Z', '1979-05-27', '07:32:00', '1979-05-27T00:32:00.999999-07:00']);
    return tomlString(rng, v);
  }
  return undefined;
}

/** An inline TOML value (arrays, inline tables), iteratively. */
function tomlInline(rng: Rng, root: Value): string {
  const out: string[] = [];
  type Item = { value: Value } | { text: string };
  const stack: Item[] = [{ value: root }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const scalar = tomlScalar(rng, item.value);
    if (scalar !== undefined) {
      out.push(scalar);
      continue;
    }
    const v = item.value as Value[] | { entries: [string, Value][] };
    const parts: Item[] = [];
    if (Array.isArray(v)) {
      out.push('[');
      v.forEach((x, i) => {
        if (i > 0) parts.push({ text: rng.chance(0.9) ? ', ' : ',\n' });
        parts.push({ value: x });
      });
      parts.push({ text: ']' });
    } else {
      out.push('{');
      tomlEntries(rng, v.entries, (k) => k).forEach(([k, x], i) => {
        if (i > 0) parts.push({ text: ', ' });
        parts.push({ text: `${tomlKey(rng, k)} = ` }, { value: x });
      });
      parts.push({ text: '}' });
    }
    for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]!);
  }
  return out.join('');
}

const TOML_NAMES = new Map([
  ['basedir', 'BaseDir'],
  ['central', 'Central'],
  ['providers', 'Providers'],
  ['name', 'Name'],
  ['version', 'Version'],
  ['config', 'Config'],
]);

/** geth's TOML spelling of a settings key (Go field names), or the key as is. */
function tomlName(key: string): string {
  return TOML_NAMES.get(key.toLowerCase()) ?? key;
}

/** Writes a settings tree as TOML: top-level keys, [Central], [Providers.x] tables, configs as tables or inline. */
export function writeToml(rng: Rng, root: Value, ctx: GenContext): string {
  if (root === null || typeof root !== 'object' || Array.isArray(root))
    return `value = ${tomlInline(rng, root)}\n`;
  const lines: string[] = [];
  const tables: string[] = [];
  for (const [key, value] of tomlEntries(rng, root.entries, tomlName)) {
    const name = tomlName(key);
    const isTable = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (name === 'Providers' && isTable) {
      for (const [iface, def] of tomlEntries(rng, value.entries, (k) => k.toLowerCase())) {
        const header = `[Providers.${tomlKey(rng, iface)}]`;
        if (def === null || typeof def !== 'object' || Array.isArray(def)) {
          lines.push(`Providers.${tomlKey(rng, iface)} = ${tomlInline(rng, def)}`);
          continue;
        }
        const body: string[] = [header];
        for (const [k, v] of tomlEntries(rng, def.entries, tomlName))
          body.push(`${tomlKey(rng, tomlName(k))} = ${tomlInline(rng, v)}`);
        tables.push(body.join('\n'));
      }
    } else if (name === 'Central' && isTable && rng.chance(0.8)) {
      const body = ['[Central]'];
      for (const [k, v] of tomlEntries(rng, value.entries, (k) => k.toLowerCase()))
        body.push(`${tomlKey(rng, k.charAt(0).toUpperCase() + k.slice(1))} = ${tomlInline(rng, v)}`);
      tables.push(body.join('\n'));
    } else lines.push(`${tomlKey(rng, name)} = ${tomlInline(rng, value)}`);
  }
  if (ctx.deep && rng.chance(0.3)) {
    // Table headers nest without smol-toml's array/inline limit.
    const depth = rng.pick([3000, 9996, 9997, 20_000]);
    tables.push(`[Providers.helloworld.Config${'.a'.repeat(depth)}]\nx = 1`);
  }
  return [...lines, ...tables].join(rng.chance(0.9) ? '\n' : '\r\n') + '\n';
}

export const JSON_DICTIONARY = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  '\\',
  '\\u',
  '\\ud800',
  'null',
  'true',
  '1e400',
  '-',
  '0',
  '"providers"',
  '"baseDir"',
  '"config"',
  '{"a":',
  '\ufeff',
  '\u00a0',
  '/*',
];
export const TOML_DICTIONARY = [
  '[',
  ']',
  '[[',
  ']]',
  '=',
  '"',
  "'",
  '"""',
  "'''",
  '.',
  '\n',
  'inf',
  'nan',
  '0x',
  '_',
  'T',
  'Z',
  '#',
  '{',
  '}',
  ',',
  '[Providers.helloworld]',
  'Config.a.b',
  '\\u0000',
  '\\U0010FFFF',
  '1979-05-27',
];
