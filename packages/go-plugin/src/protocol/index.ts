/**
 * `@qplugin/go-plugin/protocol`: what hosts and plugins share and users touch:
 * the handshake config, the error catalog, gRPC status errors, service
 * typing, the logger, the broker and tracing hooks. Wire internals (yamux,
 * listeners, certificates, framing) are not exported.
 */
export { CodedError, ErrorCodes, GoPluginError, isCodedError, isGoPluginError, messageOf } from './errors.js';
export type { CodedErrorOptions, ErrorCode } from './errors.js';
export {
  Env,
  CORE_PROTOCOL_VERSION,
  DEFAULT_MIN_PORT,
  DEFAULT_MAX_PORT,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_KILL_GRACE_MS,
} from './env.js';
export type { HandshakeConfig } from './env.js';
export { formatHandshake, parseHandshake } from './handshake.js';
export type { HandshakeFields, HandshakeExpectations, ParsedHandshake, Network } from './handshake.js';
export type { LogLevel, LogEntry, LogFields } from './hclog.js';
export { createLogger, createHclogLogger, silentLogger } from './logger.js';
export type { Logger, LogSink, LoggerOptions } from './logger.js';
export { RpcError, Status, isRpcError } from './rpc-error.js';
export type { RpcErrorOptions } from './rpc-error.js';
export { Metadata } from './grpc/index.js';
export type { MetadataValue } from './grpc/index.js';
export { service } from './rpc-types.js';
export type {
  ServiceImpl,
  ServiceRegistration,
  HandlerContext,
  HandlerFor,
  CallOptions,
  Client,
  BidiCall,
  Send,
} from './rpc-types.js';
export type { CallEvent, CallObserver } from './call-observer.js';
export { setOpenTelemetryApi } from './tracing.js';
export type { TraceSpan } from './tracing.js';
export { GRPCBroker } from './broker.js';
export type { BrokeredServer, BrokeredConnection } from './broker.js';
