/**
 * The JSON-RPC methods geth exposes for plugins: `plugin@helloworld`,
 * `plugin@account` (only the two account-creating methods, as geth) and the
 * `admin` methods that concern plugins.
 */
import type { PluginManager } from '../manager/index.js';
import { AccountGateway, HelloWorldGateway, validateRawKey } from '../interfaces/index.js';
import { AccountService, PluginGreeting } from '../interfaces/index.js';
import { decodeParams } from './params.js';
import type { ParamKind } from './params.js';
import type { RpcApi } from './server.js';

// Parameter lists, made once rather than on every call.
const STRING: readonly ParamKind[] = ['string'];
const ANY: readonly ParamKind[] = ['any'];
const STRING_ANY: readonly ParamKind[] = ['string', 'any'];
const NONE: readonly ParamKind[] = [];

export function pluginApis(manager: PluginManager): RpcApi[] {
  const apis: RpcApi[] = [];
  if (manager.isEnabled('helloworld')) {
    // The manager's client follows reloads by itself: one for the gateway's life.
    const greeting = manager.client('helloworld', PluginGreeting);
    const hello = new HelloWorldGateway(() => greeting);
    apis.push({
      namespace: 'plugin@helloworld',
      methods: {
        greeting: async (params) => {
          const [msg] = decodeParams(params, STRING);
          return hello.greeting((msg as string | null) ?? '');
        },
      },
    });
  }
  if (manager.isEnabled('account')) {
    const accounts = manager.client('account', AccountService);
    const account = new AccountGateway(() => accounts);
    apis.push({
      namespace: 'plugin@account',
      methods: {
        newAccount: async (params) => {
          const [config] = decodeParams(params, ANY);
          return account.newAccount(config);
        },
        importRawKey: async (params) => {
          const [rawKey, config] = decodeParams(params, STRING_ANY);
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
        const [name] = decodeParams(params, STRING);
        return manager.reload((name as string | null) ?? '');
      },
      nodeInfo: async (params) => {
        decodeParams(params, NONE);
        return { plugins: manager.pluginsInfo() };
      },
    },
  });
  return apis;
}
