/**
 * Maps a parsed settings tree onto geth's `plugin.Settings` with Go's
 * decoding rules (see decode-context.ts). Only types are checked here;
 * required values, interface names and defaults are the loader's job, so
 * this stays a faithful model of what geth's decoder accepts.
 */
import type { DecodeContext } from './decode-context.js';
import type { CentralConfig, RawConfig } from './types.js';
import { joinPath, toRawConfig } from './value-tree.js';
import type { ObjectNode, TreeNode } from './value-tree.js';

export interface DecodedValue<T> {
  value: T;
  node: TreeNode;
  path: string;
}

export interface DecodedDefinition {
  /** The providers key as written (before lower-casing). */
  key: string;
  path: string;
  node: TreeNode;
  name?: DecodedValue<string>;
  version?: DecodedValue<string>;
  config?: RawConfig;
}

export interface DecodedSettings {
  /** baseDir as geth reads it (quotes trimmed, escapes kept), before env:// and defaults. */
  baseDir?: DecodedValue<string>;
  /** Undefined when central is absent or null (geth then uses its default object). */
  central?: Partial<CentralConfig>;
  /** Keyed by the lower-cased interface name, in file order. */
  providers: Map<string, DecodedDefinition>;
}

const SETTINGS_FIELDS = ['baseDir', 'central', 'providers'] as const;
const DEFINITION_FIELDS = ['name', 'version', 'config'] as const;
const CENTRAL_STRING_FIELDS = [
  'certFingerprint',
  'baseURL',
  'publicKeyURI',
  'pluginDistPathTemplate',
  'pluginSigPathTemplate',
] as const;
const CENTRAL_FIELDS = [...CENTRAL_STRING_FIELDS, 'insecureSkipTLSVerify'] as const;

const PROVIDERS_TYPE = 'map[plugin.PluginInterfaceName]plugin.PluginDefinition';

export function decodeSettings(root: TreeNode, ctx: DecodeContext): DecodedSettings {
  const out: DecodedSettings = { providers: new Map() };
  if (root.kind === 'null') {
    // Go decodes a top-level null into a struct as a no-op.
    ctx.warn(root.at, 'the settings file holds null; no plugins are configured');
    return out;
  }
  if (root.kind !== 'object') throw ctx.typeError(root, undefined, 'plugin.Settings', '', 'an object');
  ctx.fields(root, SETTINGS_FIELDS, '', (field, entry, path) => {
    const node = entry.value;
    if (field === 'baseDir') out.baseDir = { value: baseDirText(node, ctx, path), node, path };
    else if (field === 'central') decodeCentral(node, out, ctx, path);
    else decodeProviders(node, out, ctx, path);
  });
  return out;
}

/**
 * geth's EnvironmentAwaredValue: the raw token must be a JSON string; its
 * surrounding quotes are trimmed and escapes are *not* decoded.
 */
function baseDirText(node: TreeNode, ctx: DecodeContext, path: string): string {
  if (node.kind !== 'string') {
    throw ctx.failNotAString(node, path);
  }
  if (node.raw === undefined) return node.value;
  const text = node.raw.replace(/^"+|"+$/g, '');
  if (text !== node.value) {
    ctx.warn(
      node.at,
      `baseDir ${node.raw} contains JSON escapes, which geth does not decode; using ${JSON.stringify(text)} as written`,
    );
  }
  return text;
}

function decodeCentral(node: TreeNode, out: DecodedSettings, ctx: DecodeContext, path: string): void {
  if (node.kind === 'null') {
    delete out.central;
    return;
  }
  if (node.kind !== 'object') {
    throw ctx.typeError(node, 'Settings.central', 'plugin.PluginCentralConfiguration', path, 'an object');
  }
  // A repeated central key decodes into the same struct (Go reuses the pointer).
  const central: Partial<CentralConfig> = out.central ?? {};
  out.central = central;
  ctx.fields(node, CENTRAL_FIELDS, path, (field, entry, fieldPath) => {
    const value = entry.value;
    if (value.kind === 'null') return;
    const goField = `PluginCentralConfiguration.central.${field}`;
    if (field === 'insecureSkipTLSVerify') {
      if (value.kind !== 'bool') throw ctx.typeError(value, goField, 'bool', fieldPath, 'a boolean');
      central.insecureSkipTLSVerify = value.value;
      return;
    }
    if (value.kind !== 'string') throw ctx.typeError(value, goField, 'string', fieldPath, 'a string');
    central[field] = value.value;
  });
}

function decodeProviders(node: TreeNode, out: DecodedSettings, ctx: DecodeContext, path: string): void {
  if (node.kind === 'null') {
    out.providers.clear();
    return;
  }
  if (node.kind !== 'object') {
    throw ctx.typeError(
      node,
      'Settings.providers',
      PROVIDERS_TYPE,
      path,
      'an object keyed by interface name',
      {
        fix:
          node.kind === 'array'
            ? 'providers is a map keyed by interface name, e.g. {"helloworld": {...}} or [Providers.helloworld] in TOML, not an array'
            : undefined,
      },
    );
  }
  for (const entry of node.entries) {
    // PluginInterfaceName lower-cases itself when decoded as a map key.
    const iface = entry.key.toLowerCase();
    const defPath = joinPath(path, entry.key);
    const earlier = out.providers.get(iface);
    if (earlier !== undefined) {
      ctx.warn(
        entry.keyAt,
        `providers key ${JSON.stringify(entry.key)} repeats ${JSON.stringify(earlier.key)} (both are ${iface}); ` +
          'the later definition replaces the earlier one, as Go does',
      );
    }
    out.providers.set(iface, decodeDefinition(entry.key, entry.value, ctx, defPath));
  }
}

function decodeDefinition(key: string, node: TreeNode, ctx: DecodeContext, path: string): DecodedDefinition {
  const def: DecodedDefinition = { key, path, node };
  if (node.kind === 'null') return def;
  if (node.kind !== 'object') {
    throw ctx.typeError(
      node,
      'Settings.providers',
      'plugin.PluginDefinition',
      path,
      'an object with name and version',
    );
  }
  decodeDefinitionFields(node, def, ctx, path);
  return def;
}

function decodeDefinitionFields(
  node: ObjectNode,
  def: DecodedDefinition,
  ctx: DecodeContext,
  path: string,
): void {
  ctx.fields(node, DEFINITION_FIELDS, path, (field, entry, fieldPath) => {
    const value = entry.value;
    if (field === 'config') {
      if (value.kind === 'null') delete def.config;
      else {
        ctx.checkFiniteNumbers(value, 'PluginDefinition.providers.config', fieldPath);
        def.config = toRawConfig(value);
      }
      return;
    }
    // A null leaves a Go string unchanged.
    if (value.kind === 'null') return;
    const goType = field === 'version' ? 'plugin.Version' : 'string';
    if (value.kind !== 'string') {
      throw ctx.typeError(value, `PluginDefinition.providers.${field}`, goType, fieldPath, 'a string');
    }
    def[field] = { value: value.value, node: value, path: fieldPath };
  });
}
