/** Plugin settings: geth's `--plugins` file, its `config` bytes, verification flags and platform names. */
export { loadSettings } from './load.js';
export type { LoadSettingsOptions } from './load.js';
export { resolveConfig } from './config.js';
export type { ResolveConfigOptions } from './config.js';
export { checkSettingsAreSupported } from './supported.js';
export { checkVerifyFlags } from './flags.js';
export type { VerifyFlags, VerifyMode } from './flags.js';
export { goPlatform } from './platform.js';
export { renderTemplate } from './template.js';
export type { TemplateValues } from './template.js';
export { defaultCentral, withCentralDefaults, DEFAULT_PUBLIC_KEY_FILE } from './defaults.js';
export { INTERFACE_NAMES } from './types.js';
export type {
  CentralConfig,
  InterfaceName,
  PluginDefinition,
  Platform,
  RawConfig,
  Settings,
} from './types.js';
