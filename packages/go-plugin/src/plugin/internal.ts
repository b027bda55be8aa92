/** Everything in the plugin SDK, for our own packages and tests (see ../internal.ts): not a public API. */
export { serve } from './serve.js';
export type { ServeOptions, PluginServer, ServiceContext, Services } from './serve.js';
export { COOKIE_MISMATCH_TEXT, COOKIE_NOT_CONFIGURED_TEXT, checkCookie } from './cookie.js';
export { writeRealStderr } from './stdio.js';
export { service } from '../protocol/rpc-types.js';
export type { ServiceImpl, HandlerContext, ServiceRegistration } from '../protocol/rpc-types.js';
export { RpcError, Status, isRpcError } from '../protocol/rpc-error.js';
export type { Logger } from '../protocol/logger.js';
export { setOpenTelemetryApi } from '../protocol/tracing.js';
export type { TraceSpan } from '../protocol/tracing.js';
export type { GRPCBroker, BrokeredConnection, BrokeredServer } from '../protocol/broker.js';
