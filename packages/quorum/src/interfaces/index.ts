/**
 * Quorum's plugin interfaces: the handshake and the gRPC services, generated
 * from our own .proto files with Quorum's packages, names and field numbers.
 */
export { QUORUM_HANDSHAKE, QUORUM_MAGIC_COOKIE_KEY, QUORUM_MAGIC_COOKIE_VALUE } from './handshake.js';
export { PluginInitializer } from '../generated/init_pb.js';
export type { PluginInitialization_Request, PluginInitialization_Response } from '../generated/init_pb.js';
export { PluginGreeting } from '../generated/helloworld_pb.js';
export type { PluginHelloWorld_Request, PluginHelloWorld_Response } from '../generated/helloworld_pb.js';
