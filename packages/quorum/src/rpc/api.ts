/**
 * The JSON-RPC methods geth exposes for plugins: `plugin@helloworld`,
 * `plugin@account` (only the two account-creating methods, as geth) and the
 * `admin` methods that concern plugins.
 */
import type { PluginManager } from '../manager/index.js';
import { AccountGateway, HelloWorldGateway, validateRawKey } from '../interfaces/index.js';
import { AccountService, PluginGreeting } from '../interfaces/index.js';
import { decodeParams } from './params.js';
import type { RpcApi } from './server.js';

export function pluginApis(manager: PluginManager): RpcApi[] {
  const apis: RpcApi[] = [];
  if (manager.isEnabled('helloworld')) {
    const hello = new HelloWorldGateway(() => manager.client('helloworld', PluginGreeting));
    apis.push({
      namespace: 'plugin@helloworld',
      methods: {
        greeting: async (params) => {
          const [msg] = decodeParams(params, ['string']);
          return hello.greeting((msg as string | null) ?? '');
        },
      },
    });
  }
  if (manager.isEnabled('account')) {
    const account = new AccountGateway(() => manager.client('account', AccountService));
    apis.push({
      namespace: 'plugin@account',
      methods: {
        newAccount: async (params) => {
          const [config] = decodeParams(params, ['any']);
          return account.newAccount(config);
        },
        importRawKey: async (params) => {
          const [rawKey, config] = decodeParams(params, ['string', 'any']);
          // geth validates the key before the plugin sees it.
          validateRawKey((rawKey as string | null) ?? '');
          return account.importRawKey(rawKey as string, config);
        },
      },
    });
  }
  apis.push({
    namespace: 'admin',
    methods: {
      reloadPlugin: async (params) => {
        const [name] = decodeParams(params, ['string']);
        return manager.reload((name as string | null) ?? '');
      },
      nodeInfo: async (params) => {
        decodeParams(params, []);
        return { plugins: manager.pluginsInfo() };
      },
    },
  });
  return apis;
}
