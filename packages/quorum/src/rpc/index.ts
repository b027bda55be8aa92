/** The geth-style JSON-RPC gateway for plugin APIs. */
export { JsonRpcGateway } from './server.js';
export type {
  JsonRpcGatewayOptions,
  RpcApi,
  RpcAuth,
  RpcHandler,
  AccessCheck,
  CallContext,
  GatewayCallEvent,
  GatewayObserver,
} from './server.js';
export { pluginApis } from './api.js';
export { tokenAuth } from './security.js';
export { ErrorCode, RpcMethodError } from './jsonrpc.js';
export type { JsonRpcRequest, JsonRpcResponse } from './jsonrpc.js';
export { decodeParams } from './params.js';
export { startRpcEndpoint } from './start.js';
export type { RpcEndpoint, RpcEndpointOptions } from './start.js';
