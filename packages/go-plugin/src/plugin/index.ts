/** `@qplugin/go-plugin/plugin`: the plugin SDK, serve() and what handlers use. */
export { serve } from './serve.js';
export type { ServeOptions, PluginServer, ServiceContext, Services } from './serve.js';
export { service } from '../protocol/rpc-types.js';
export type { ServiceImpl, HandlerContext, ServiceRegistration } from '../protocol/rpc-types.js';
export { RpcError, Status, isRpcError } from '../protocol/rpc-error.js';
export type { Logger } from '../protocol/logger.js';
export { setOpenTelemetryApi } from '../protocol/tracing.js';
export type { TraceSpan } from '../protocol/tracing.js';
export type { GRPCBroker, BrokeredConnection, BrokeredServer } from '../protocol/broker.js';
