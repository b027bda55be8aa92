/**
 * geth's `Settings.CheckSettingsAreSupported`, used by tools that handle only
 * some interfaces (the `account plugin` CLI, clef): every configured provider
 * must be in `supported`.
 */
import { fail } from './fail.js';
import type { InterfaceName, Settings } from './types.js';

/** Throws SETTINGS_UNSUPPORTED_INTERFACE with geth's `unsupported plugins configured: [a b]`. */
export function checkSettingsAreSupported(settings: Settings, supported: readonly InterfaceName[]): void {
  const unsupported = [...settings.providers.keys()].filter((name) => !supported.includes(name));
  if (unsupported.length === 0) return;
  // Go prints the slice with %v; its order follows map iteration, ours the file.
  throw fail('SETTINGS_UNSUPPORTED_INTERFACE', `unsupported plugins configured: [${unsupported.join(' ')}]`, {
    where: { file: settings.source, path: 'providers' },
    found: unsupported.join(', '),
    expected: `only ${supported.join(', ')}`,
    fix: `this command uses only ${supported.join(', ')}; remove the other providers or use a settings file without them`,
    details: { unsupported, supported: [...supported] },
  });
}
