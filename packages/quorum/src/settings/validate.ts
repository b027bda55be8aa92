/**
 * Checks geth applies after decoding (supported interface names) plus the
 * ones it leaves to fail later (name/version present, templates renderable),
 * so a broken settings file is reported at load with its JSON path instead
 * of as a download error.
 */
import type { DecodeContext } from './decode-context.js';
import type { DecodedDefinition, DecodedValue } from './decode.js';
import { fail } from './fail.js';
import { renderTemplate } from './template.js';
import { INTERFACE_NAMES } from './types.js';
import type { CentralConfig, InterfaceName, PluginDefinition } from './types.js';
import { describeNode, shortText } from './value-tree.js';

const SUPPORTED = INTERFACE_NAMES.join(', ');

function isInterfaceName(name: string): name is InterfaceName {
  return (INTERFACE_NAMES as readonly string[]).includes(name);
}

/** Lower-cased providers → definitions; the first unsupported name fails with geth's text. */
export function validateProviders(
  providers: Map<string, DecodedDefinition>,
  ctx: DecodeContext,
): Map<InterfaceName, PluginDefinition> {
  const unsupported = [...providers.keys()].filter((name) => !isInterfaceName(name));
  const first = unsupported[0];
  if (first !== undefined) {
    const def = providers.get(first);
    const squashed = first.replace(/[-_ ]/g, '');
    // geth's text, with a hostile key cut short (the whole key stays in details).
    throw fail('SETTINGS_UNSUPPORTED_INTERFACE', `plugin: [${shortText(first)}] is not supported`, {
      where: ctx.where(def?.node.at, def?.path ?? `providers.${first}`),
      found: `interface ${JSON.stringify(def?.key ?? first)}`,
      expected: `one of ${SUPPORTED}`,
      fix: isInterfaceName(squashed)
        ? `the key is ${squashed} (no separators), e.g. "providers": {"${squashed}": {...}}`
        : `providers keys name the plugin interface (${SUPPORTED}), not the plugin`,
      details: { interface: first, unsupported, supported: [...INTERFACE_NAMES] },
    });
  }
  const out = new Map<InterfaceName, PluginDefinition>();
  for (const [iface, def] of providers) {
    if (!isInterfaceName(iface)) continue;
    const definition: PluginDefinition = {
      name: required(
        def,
        'name',
        iface,
        ctx,
        'the plugin distribution name, e.g. "quorum-plugin-hello-world"',
      ),
      version: required(def, 'version', iface, ctx, 'the plugin version, e.g. "1.0.0"'),
    };
    if (def.config !== undefined) definition.config = def.config;
    out.set(iface, definition);
  }
  return out;
}

/** name and version must be non-empty; geth accepts empty ones and fails later looking for the file. */
function required(
  def: DecodedDefinition,
  field: 'name' | 'version',
  iface: InterfaceName,
  ctx: DecodeContext,
  meaning: string,
): string {
  const value: DecodedValue<string> | undefined = def[field];
  if (value !== undefined && value.value !== '') return value.value;
  const isNull = def.node.kind === 'null';
  const found = isNull ? 'null definition' : value === undefined ? `no ${field}` : 'an empty string';
  throw fail('SETTINGS_DEFINITION', `plugin definition for ${iface}: ${field} is required`, {
    where: ctx.where(value?.node.at ?? def.node.at, value?.path ?? `${def.path}.${field}`),
    found,
    expected: `a non-empty string: ${meaning}`,
    fix: `set "${field}" in ${def.path}, e.g. {"name": "quorum-plugin-hello-world", "version": "1.0.0"}`,
    details: { interface: iface, field, node: isNull ? 'null' : describeNode(def.node) },
  });
}

/** Renders both path templates once with sample values so a bad template fails at load. */
export function validateTemplates(central: CentralConfig, ctx: DecodeContext): void {
  const sample = { Name: 'name', Version: '1.0.0', OS: 'linux', Arch: 'amd64' };
  for (const field of ['pluginDistPathTemplate', 'pluginSigPathTemplate'] as const) {
    renderTemplate(central[field], sample, ctx.where(undefined, `central.${field}`));
  }
}
