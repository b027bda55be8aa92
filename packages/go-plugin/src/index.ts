/**
 * @qplugin/go-plugin: HashiCorp go-plugin for Node.js.
 * Entry points: `@qplugin/go-plugin/plugin` (serve a plugin),
 * `@qplugin/go-plugin/host` (launch plugins), `@qplugin/go-plugin/protocol` (shared pieces).
 */
export * from './protocol/index.js';
export { serve } from './plugin/serve.js';
export type { ServeOptions, PluginServer, ServiceContext, Services } from './plugin/serve.js';
