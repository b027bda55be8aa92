/**
 * Starts the JSON-RPC gateway for a running plugin manager the way geth opens
 * its HTTP endpoint after the plugins: with a security plugin configured, TLS
 * comes from its TLSConfigurationSource and every request's token is checked
 * by its AuthenticationManager (each half probed once; UNIMPLEMENTED turns it
 * off).
 */
import type { Logger } from '@qplugin/go-plugin/protocol';

import {
  AuthenticationManager,
  authenticationManager,
  TLSConfigurationSource,
  tlsConfigurationSource,
} from '../interfaces/index.js';
import type { PluginManager } from '../manager/index.js';
import { pluginApis } from './api.js';
import { tokenAuth } from './security.js';
import { JsonRpcGateway } from './server.js';
import type { JsonRpcGatewayOptions, RpcApi } from './server.js';

export interface RpcEndpointOptions extends Omit<JsonRpcGatewayOptions, 'apis' | 'tls' | 'auth'> {
  /** More namespaces besides the plugin ones. */
  extraApis?: readonly RpcApi[];
}

export interface RpcEndpoint {
  gateway: JsonRpcGateway;
  url: string;
  secured: { tls: boolean; auth: boolean };
}

export async function startRpcEndpoint(
  manager: PluginManager,
  options: RpcEndpointOptions,
): Promise<RpcEndpoint> {
  const logger: Logger | undefined = options.logger;
  let tls: JsonRpcGatewayOptions['tls'];
  let auth: JsonRpcGatewayOptions['auth'];
  if (manager.isEnabled('security')) {
    const source = await tlsConfigurationSource(() => manager.client('security', TLSConfigurationSource), {
      logger,
    });
    tls = source ? await source.get() : undefined;
    const authManager = await authenticationManager(() => manager.client('security', AuthenticationManager), {
      logger,
    });
    if (authManager.isEnabled()) auth = tokenAuth(authManager);
  }
  const gateway = new JsonRpcGateway({
    ...options,
    apis: [...pluginApis(manager), ...(options.extraApis ?? [])],
    tls,
    auth,
  });
  const url = await gateway.start();
  return { gateway, url, secured: { tls: tls !== undefined, auth: auth !== undefined } };
}
