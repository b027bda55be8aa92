/**
 * @qplugin/quorum: Quorum's pluggable architecture for Node.js, host side:
 * settings, distribution (verify, sign), the plugin manager, the interfaces'
 * gateways and the JSON-RPC gateway. A plugin imports `@qplugin/quorum/plugin`.
 */
export { QuorumError, QuorumErrorCodes, isQuorumError } from './errors.js';
export type { QuorumErrorCode } from './errors.js';

// Interfaces: Quorum's handshake, the services, and the host-side gateways with geth's behaviour.
export {
  QUORUM_HANDSHAKE,
  QUORUM_MAGIC_COOKIE_KEY,
  QUORUM_MAGIC_COOKIE_VALUE,
} from './interfaces/handshake.js';
export { PluginInitializer } from './generated/init_pb.js';
export type { PluginInitialization_Request, PluginInitialization_Response } from './generated/init_pb.js';
export { PluginGreeting } from './generated/helloworld_pb.js';
export type { PluginHelloWorld_Request, PluginHelloWorld_Response } from './generated/helloworld_pb.js';
export { TLSConfigurationSource, AuthenticationManager } from './generated/security_pb.js';
export type {
  TLSConfiguration_Data,
  GrantedAuthority,
  PreAuthenticatedAuthenticationToken,
} from './generated/security_pb.js';
export { AccountService } from './generated/account_pb.js';
export { PluginQLightTokenRefresher } from './generated/qlight_token_manager_pb.js';
export { sourceOf } from './interfaces/source.js';
export type { ClientSource, ClientProvider, Dispenser, GatewayOptions } from './interfaces/source.js';
export { HelloWorldGateway } from './interfaces/helloworld.js';
export { InitializerGateway } from './interfaces/initializer.js';
export { TlsConfigurationSourceGateway, buildTlsServerOptions } from './interfaces/security-tls.js';
export type { TlsServerOptions } from './interfaces/security-tls.js';
export { SecurityError, checkAccess } from './interfaces/security-access.js';
export type { AuthenticatedToken, Authority } from './interfaces/security-access.js';
export {
  DisabledAuthenticationManager,
  PluginAuthenticationManager,
  authenticationManager,
} from './interfaces/security-auth.js';
export type { AuthenticationManagerGateway } from './interfaces/security-auth.js';
export { AccountGateway } from './interfaces/account.js';
export type { AddressLike, PluginAccount } from './interfaces/account.js';
export { QLightTokenManagerGateway } from './interfaces/qlight.js';
export { TokenRefreshScheduler } from './interfaces/qlight-scheduler.js';
export type { TokenRefreshSchedulerOptions } from './interfaces/qlight-scheduler.js';

// Settings: geth's --plugins file.
export { loadSettings } from './settings/load.js';
export type { LoadSettingsOptions } from './settings/load.js';
export { INTERFACE_NAMES } from './settings/types.js';
export type {
  CentralConfig,
  InterfaceName,
  PluginDefinition,
  Platform,
  RawConfig,
  Settings,
} from './settings/types.js';

// Distribution: signing and verifying plugin zips.
export { generateSigningKey, signChecksum } from './distribution/signing.js';
export type {
  GenerateSigningKeyOptions,
  SignChecksumOptions,
  SigningKeyPair,
} from './distribution/signing.js';
export { verifyDistribution } from './distribution/verifier.js';
export type { VerificationMode, VerificationResult, VerifyOptions } from './distribution/verifier.js';
export { PLUGIN_META_FILE } from './distribution/meta.js';
export type { PluginMeta } from './distribution/meta.js';

// The plugin manager.
export { createPluginManager } from './manager/create.js';
export type { ManagerConfig } from './manager/create.js';
export type { PluginManager, PluginsInfo } from './manager/manager.js';
export type { ProviderInfo, SupervisionOptions } from './manager/provider.js';
export type { ManagerObserver, ObtainedDistribution, ProviderRef } from './manager/observer.js';

// The JSON-RPC gateway geth exposes for plugins.
export { startRpcEndpoint } from './rpc/start.js';
export type { RpcEndpoint, RpcEndpointOptions } from './rpc/start.js';
export { JsonRpcGateway } from './rpc/server.js';
export type {
  JsonRpcGatewayOptions,
  RpcApi,
  RpcAuth,
  RpcHandler,
  AccessCheck,
  CallContext,
  GatewayCallEvent,
  GatewayObserver,
} from './rpc/server.js';
export { pluginApis } from './rpc/api.js';
export { tokenAuth } from './rpc/security.js';
export { RpcMethodError } from './rpc/jsonrpc.js';
