/** Everything in the protocol layer, for our own packages and tests (see ../internal.ts): not a public API. */
export {
  CodedError,
  ErrorCodes,
  GoPluginError,
  brandClass,
  hasBrand,
  isCodedError,
  isGoPluginError,
  messageOf,
} from './errors.js';
export type { CodedErrorOptions, ErrorCode } from './errors.js';
export {
  Env,
  protocolEnvNames,
  CORE_PROTOCOL_VERSION,
  HEALTH_SERVICE_NAME,
  DEFAULT_MIN_PORT,
  DEFAULT_MAX_PORT,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_KILL_GRACE_MS,
  BROKER_WAIT_MS,
} from './env.js';
export type { HandshakeConfig } from './env.js';
export { formatHandshake, parseHandshake, splitTcpAddress, UNRECOGNIZED_DIAGNOSIS } from './handshake.js';
export type { HandshakeFields, HandshakeExpectations, ParsedHandshake, Network } from './handshake.js';
export { negotiateVersion, parseOfferedVersions, formatOfferedVersions } from './negotiate.js';
export type { Negotiation } from './negotiate.js';
export { encodeRawStd, decodeRawStd } from './base64raw.js';
export {
  generateCertificate,
  derToPem,
  parseCertificate,
  inspectCertificate,
  CERT_BACKDATE_MS,
  CERT_LIFETIME_MS,
} from './certificate.js';
export type {
  AutoMtlsCertificate,
  CertificateOptions,
  CertificateCurve,
  CertificateReport,
} from './certificate.js';
export {
  mtlsServerOptions,
  mtlsClientOptions,
  caMtlsServerOptions,
  connectTls,
  TLS_SERVER_NAME,
} from './tls.js';
export type { KeyPair } from './tls.js';
export {
  formatHclogLine,
  formatHclogTime,
  StderrClassifier,
  levelFromString,
  levelRank,
  LOG_LEVELS,
} from './hclog.js';
export type { LogLevel, LogEntry, LogFields, ParsedLogLine } from './hclog.js';
export { RpcError, Status, goCodeName, isRpcError, toRpcError } from './rpc-error.js';
export type { RpcErrorOptions } from './rpc-error.js';
export { Channel, GrpcServer, Metadata } from './grpc/index.js';
export type { ChannelOptions, Connector, GrpcServerOptions, MetadataValue } from './grpc/index.js';
export { dialChannel, dialTarget, socketConnector } from './dial.js';
export type { DialTarget } from './dial.js';
export { service, methodPath } from './rpc-types.js';
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
export { addServices } from './rpc-server.js';
export { createClient } from './rpc-client.js';
export type { ClientHooks } from './rpc-client.js';
export type { CallEvent, CallObserver } from './call-observer.js';
export {
  formatTraceparent,
  parseTraceparent,
  setOpenTelemetryApi,
  startClientSpan,
  startServerSpan,
  tracingActive,
} from './tracing.js';
export type { ActiveSpan, SpanAttributes, SpanEnd, TraceHeaders, TraceParent, TraceSpan } from './tracing.js';
export * from './builtins.js';
export { createLogger, createHclogLogger, silentLogger } from './logger.js';
export type { Logger, LogSink, LoggerOptions } from './logger.js';
export { GRPCBroker } from './broker.js';
export type {
  BrokerTransport,
  BrokerMux,
  BrokeredServer,
  BrokeredConnection,
  ConnInfoInit,
} from './broker.js';
export { listenerConfigFromEnv, bindNetServer, lookupGid, removeStaleSocket } from './listener.js';
export type { ListenerConfig, BoundListener } from './listener.js';
export * from './yamux/index.js';
