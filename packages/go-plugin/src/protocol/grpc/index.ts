/** A small gRPC over node:http2, both roles: what go-plugin's wire needs and nothing else. */
export { Channel, ChannelError, DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from './channel.js';
export type { ChannelOptions, Connector } from './channel.js';
export { ClientCall } from './call.js';
export type { CallStatus, ClientCallOptions, ClientCallListener } from './call.js';
export { GrpcServer, ServerCall, DEFAULT_SERVER_MAX_RECEIVE_BYTES } from './server.js';
export type { GrpcServerOptions, MethodHandler, MethodKind, StatusError } from './server.js';
export { Metadata } from './metadata.js';
export type { MetadataValue } from './metadata.js';
export { Status } from './status.js';
export { encodeTimeout, parseTimeout } from './timeout.js';
