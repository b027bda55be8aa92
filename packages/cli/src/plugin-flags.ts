/**
 * geth's plugin flags (--plugins, --plugins.skipverify, --plugins.localverify,
 * --plugins.publickey, --identity, --datadir) plus --plugins.trustedkeys,
 * shared by the commands that start plugins from a settings file.
 */
import type { Logger } from '@qplugin/go-plugin/protocol';

import { createPluginManager } from '@qplugin/quorum';
import type { ManagerObserver, PluginManager, SupervisionOptions } from '@qplugin/quorum';
import { loadSettings } from '@qplugin/quorum';
import { checkVerifyFlags } from '@qplugin/quorum/internal';
import type { Settings } from '@qplugin/quorum';
import { bool, str, strs, UsageError } from './args.js';
import type { OptionSpecs, Parsed } from './args.js';
import { commaList } from './format.js';

export const PLUGIN_FLAGS: OptionSpecs = {
  plugins: {
    type: 'string',
    value: 'URI',
    description: 'settings file (file://, JSON or .toml), as geth --plugins',
  },
  'plugins.skipverify': { type: 'boolean', description: 'do NOT verify plugin integrity (logged loudly)' },
  'plugins.localverify': {
    type: 'boolean',
    description: 'verify with <zip>.sha256sum.asc and a key on disk instead of Plugin Central',
  },
  'plugins.publickey': {
    type: 'string',
    value: 'URI',
    description: 'key for --plugins.localverify (default file://<baseDir>/gpg.key)',
  },
  'plugins.trustedkeys': {
    type: 'string',
    value: 'FPR,…',
    multiple: true,
    description: 'accept only signatures by these OpenPGP key fingerprints (recommended with Plugin Central)',
  },
  identity: {
    type: 'string',
    value: 'NAME',
    description: 'node identity sent to plugins in Init (geth --identity)',
  },
  datadir: {
    type: 'string',
    value: 'DIR',
    description: 'baseDir defaults to <datadir>/plugins',
    default: '.',
  },
};

/**
 * Applies geth's flag rules, loads the settings (warnings logged) and builds a
 * manager; `select` may narrow the providers (e.g. `call` starts only one).
 */
export async function managerFromFlags(
  values: Parsed['values'],
  logger: Logger,
  select: (settings: Settings) => Settings = (s) => s,
  supervision?: SupervisionOptions,
  observer?: ManagerObserver,
): Promise<{ manager: PluginManager; settings: Settings }> {
  const uri = str(values.plugins);
  if (!uri) throw new UsageError('--plugins is required');
  const publicKey = str(values['plugins.publickey']);
  const verification = checkVerifyFlags({
    skipVerify: bool(values['plugins.skipverify']),
    localVerify: bool(values['plugins.localverify']),
    publicKey,
  });
  if (verification === 'skip') logger.warn('plugin: ignore integrity verification');
  const loaded = await loadSettings(uri, { datadir: str(values.datadir) });
  for (const w of loaded.warnings ?? []) logger.warn(`settings: ${w}`);
  const settings = select(loaded);
  const trusted = commaList(strs(values['plugins.trustedkeys']));
  const manager = createPluginManager({
    settings,
    verification,
    publicKey,
    trustedKeyFingerprints: trusted.length > 0 ? trusted : undefined,
    identity: str(values.identity) ?? '',
    supervision,
    observer,
    logger,
  });
  return { manager, settings };
}
