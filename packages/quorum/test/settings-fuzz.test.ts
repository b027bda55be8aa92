/**
 * Fuzzing loadSettings (JSON and TOML) end to end, then resolveConfig on what
 * loaded: structure-aware documents (support/settings-gen.ts), half of them
 * mutated byte-wise, a few nested past the depth limits or carrying long
 * strings, and mutated --plugins URIs. Every failure must be a QuorumError
 * with a catalog code, naming the file, with a bounded message; everything
 * that loads must be what geth would use (supported interfaces, non-empty
 * name and version, a base directory that exists) and its config must
 * marshal to JSON that reads back as the same value.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { after, describe, it } from 'node:test';

import { describeStats, fuzzCases, mutateText, replayingOneCase, runFuzz } from '@qplugin/go-plugin/testing';
import type { Rng } from '@qplugin/go-plugin/testing';

import { QuorumError, QuorumErrorCodes } from '../src/errors.js';
import { INTERFACE_NAMES, loadSettings, resolveConfig } from '../src/settings/index.js';
import type { Settings } from '../src/settings/index.js';
import { parseFirstJsonValue } from '../src/settings/go-json-parse.js';
import { parseGoUrl } from '../src/settings/go-url.js';
import { parseTomlTree } from '../src/settings/toml-tree.js';
import type { TreeNode } from '../src/settings/value-tree.js';
import {
  JSON_DICTIONARY,
  randomSettings,
  TOML_DICTIONARY,
  writeJson,
  writeToml,
} from './support/settings-gen.js';

const scratch = mkdtempSync(join(tmpdir(), 'qp-settings-fuzz-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Error messages name values shortened; anything near this size means a value was pasted whole. */
const MAX_MESSAGE = 16 * 1024;

interface Case {
  caseDir: string;
  file: string;
  text: string;
  uri: string;
  /** The URI names the file, unless the case mutated it. */
  namesFile: boolean;
  format: 'json' | 'toml';
}

function fixedCase(name: string, uri: string, text: string, format: 'json' | 'toml'): Case {
  const caseDir = join(scratch, name);
  return { caseDir, file: join(caseDir, 'settings.json'), text, uri, namesFile: false, format };
}

/**
 * Kept inputs: the issue's own (a config nested 2,000+ deep was a RangeError),
 * and what this fuzz found: a 10 KB --plugins URI with a bad escape made a
 * 19 KB message, quoting the URI whole twice (seed 1722495858, case 65); one
 * that parses but names a path too long to open, the same through the path
 * (seed 2802969988, case 303).
 */
const REGRESSIONS: Case[] = [
  fixedCase(
    'r0',
    'file://./settings.json',
    `{"providers":{"helloworld":{"name":"a","version":"1","config":${'['.repeat(2000)}${']'.repeat(2000)}}}}`,
    'json',
  ),
  fixedCase('r1', 'file://./settings.json', `{"providers":${'['.repeat(100_000)}`, 'json'),
  fixedCase('r2', `file://./${'settings.'.repeat(1200)}%zz`, '{}', 'json'),
  fixedCase('r3', `file://./${'settings.'.repeat(1200)}json`, '{}', 'json'),
];

function env(caseDir: string): NodeJS.ProcessEnv {
  return { CFG_TEXT: '{"language":"es"}', CFG_FILE: join(caseDir, 'config.json') };
}

function generate(rng: Rng, index: number): Case {
  const caseDir = join(scratch, `c${index}`);
  const ctx = { caseDir, deep: rng.chance(0.015), long: rng.chance(0.02) };
  const format = rng.chance(0.7) ? 'json' : 'toml';
  const tree = randomSettings(rng, ctx);
  let text = format === 'json' ? writeJson(rng, tree) : writeToml(rng, tree, ctx);
  if (rng.chance(0.5) && text.length < 200_000) {
    text = mutateText(rng, text, format === 'json' ? JSON_DICTIONARY : TOML_DICTIONARY);
  }
  const name =
    format === 'json'
      ? rng.pick(['settings.json', 's.JSON', 'plugins'])
      : rng.pick(['settings.toml', 'S.TOML']);
  const uri = `file://./${name}`;
  const mutated = rng.chance(0.05)
    ? mutateText(rng, uri, ['%', '%2e', '%zz', '#', '?', ':', '//', '\u0000', ' ', 'env://'])
    : uri;
  return { caseDir, file: join(caseDir, name), text, uri: mutated, namesFile: mutated === uri, format };
}

/** Top-level string values (decoded and, for JSON, raw-trimmed as geth reads baseDir). */
function topLevelStrings(text: string, format: 'json' | 'toml'): string[] {
  let root: TreeNode;
  try {
    root = format === 'json' ? parseFirstJsonValue(text).value : parseTomlTree(text);
  } catch {
    return []; // the loader fails at parse too, before any directory is made
  }
  if (root.kind !== 'object') return [];
  return root.entries.flatMap(({ value }) =>
    value.kind === 'string' ? [value.value, (value.raw ?? '').replace(/^"+|"+$/g, '')] : [],
  );
}

/**
 * The loader creates baseDir: a mutation could turn it into any path. Cases
 * whose baseDir candidates would leave the case directory are not loaded.
 */
function baseDirStaysInside(c: Case): boolean {
  const vars = env(c.caseDir);
  return topLevelStrings(c.text, c.format).every((candidate) => {
    let dir = candidate;
    try {
      const url = parseGoUrl(candidate);
      if (url.scheme === 'env') dir = vars[url.host] ?? '';
    } catch {
      // not a URL: a path
    }
    if (dir === '') dir = 'plugins'; // <datadir>/plugins, datadir being the case directory
    return resolve(c.caseDir, dir).startsWith(c.caseDir + sep);
  });
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** What Go's marshal turns a decoded config into, read back: lone surrogates become U+FFFD. */
function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\ufffd');
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k.replace(LONE_SURROGATE, '\ufffd'), {
        value: wellFormed(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

function depthOf(value: unknown, limit: number): number {
  let depth = 0;
  let level: unknown[] = [value];
  while (level.length > 0 && depth <= limit) {
    level = level.flatMap((v) => (v !== null && typeof v === 'object' ? Object.values(v) : []));
    depth++;
  }
  return depth;
}

function expectCatalogError(err: unknown, where: string): string {
  if (!(err instanceof QuorumError)) throw err;
  assert.ok(err.code in QuorumErrorCodes, `unknown code ${err.code}`);
  assert.ok(err.message.length > 0, 'empty message');
  assert.ok(err.message.length < MAX_MESSAGE, `${err.code} message of ${err.message.length} characters`);
  assert.equal(typeof err.details['file'], 'string', `${err.code} does not name the file`);
  assert.ok(
    err.message.includes(where),
    `${err.code} message does not name ${where}: ${err.message.slice(0, 300)}`,
  );
  return err.code;
}

/** SETTINGS_PARSE covers syntax and type errors; the outcome counts tell them apart. */
function label(code: string, err: unknown): string {
  if (code !== 'SETTINGS_PARSE') return code;
  const message = (err as Error).message;
  return /cannot unmarshal|not a string/.test(message) ? 'SETTINGS_PARSE (type)' : 'SETTINGS_PARSE (syntax)';
}

async function checkLoaded(c: Case, settings: Settings): Promise<string> {
  assert.ok(isAbsolute(settings.baseDir));
  assert.ok(statSync(settings.baseDir).isDirectory(), 'baseDir was not created');
  for (const warning of settings.warnings ?? []) {
    assert.equal(typeof warning, 'string');
    assert.ok(warning.length < MAX_MESSAGE, `warning of ${warning.length} characters`);
  }
  for (const field of [
    'baseURL',
    'publicKeyURI',
    'pluginDistPathTemplate',
    'pluginSigPathTemplate',
    'certFingerprint',
  ] as const)
    assert.equal(typeof settings.central[field], 'string', field);
  assert.equal(typeof settings.central.insecureSkipTLSVerify, 'boolean');
  let outcome = 'loaded';
  for (const [iface, def] of settings.providers) {
    assert.ok((INTERFACE_NAMES as readonly string[]).includes(iface), `unsupported ${iface} loaded`);
    assert.ok(typeof def.name === 'string' && def.name !== '', 'empty name loaded');
    assert.ok(typeof def.version === 'string' && def.version !== '', 'empty version loaded');
    let bytes: Uint8Array;
    try {
      bytes = await resolveConfig(def.config, {
        cwd: c.caseDir,
        env: env(c.caseDir),
        source: settings.source,
        path: `providers.${iface}.config`,
      });
    } catch (err) {
      outcome = `loaded, config ${expectCatalogError(err, c.file)}`;
      continue;
    }
    const config = def.config;
    if (config !== null && typeof config === 'object') {
      const text = Buffer.from(bytes).toString('utf8');
      const back = JSON.parse(text) as unknown;
      if (depthOf(config, 500) < 500) assert.deepStrictEqual(back, wellFormed(config));
    }
  }
  return outcome;
}

describe('settings fuzz', () => {
  it('loadSettings and resolveConfig: typed errors only, and what loads is usable', async (t) => {
    let skipped = 0;
    const stats = await runFuzz({
      name: 'settings',
      cases: fuzzCases(1000),
      regressions: REGRESSIONS,
      generate,
      async check(c) {
        if (!baseDirStaysInside(c)) {
          skipped++;
          return 'skipped (baseDir outside the case directory)';
        }
        mkdirSync(c.caseDir);
        // Directories cost the most here: `sub` (a config that names a directory) only when used.
        if (c.text.includes('sub')) mkdirSync(join(c.caseDir, 'sub'));
        writeFileSync(join(c.caseDir, 'config.json'), '{"language":"en"}');
        writeFileSync(c.file, c.text);
        try {
          let settings: Settings;
          try {
            settings = await loadSettings(c.uri, { cwd: c.caseDir, env: env(c.caseDir), datadir: '.' });
          } catch (err) {
            return `${c.format} ${label(expectCatalogError(err, c.namesFile ? c.file : ''), err)}`;
          }
          return `${c.format} ${await checkLoaded(c, settings)}`;
        } finally {
          rmSync(c.caseDir, { recursive: true, force: true });
        }
      },
      show: (c) => JSON.stringify({ uri: c.uri, format: c.format, text: c.text }),
    });
    t.diagnostic(describeStats('settings', stats));
    if (replayingOneCase()) return;
    // The generator must keep reaching the loader's success path in both formats.
    assert.ok(skipped < stats.cases / 10, `${skipped} cases skipped`);
    assert.ok(
      Object.keys(stats.outcomes).some((o) => o.startsWith('json loaded')),
      'no JSON document loaded',
    );
    assert.ok(
      Object.keys(stats.outcomes).some((o) => o.startsWith('toml loaded')),
      'no TOML document loaded',
    );
  });
});
