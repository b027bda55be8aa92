/** The plugin manager: Quorum's plugin lifecycle on top of the go-plugin host. */
export { PluginManager } from './manager.js';
export type { PluginManagerOptions, PluginsInfo } from './manager.js';
export { Provider } from './provider.js';
export type { PluginMaterial, ProviderDeps, ProviderInfo, SupervisionOptions } from './provider.js';
export { createPluginManager } from './create.js';
export type { ManagerConfig } from './create.js';
export type { ManagerObserver, ObtainedDistribution, ProviderRef } from './observer.js';
export { REDACTED } from './redact.js';
