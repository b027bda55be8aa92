/**
 * Quorum's plugin interfaces: the handshake and the gRPC services, generated
 * from our own .proto files with Quorum's packages, names and field numbers.
 */
export { QUORUM_HANDSHAKE, QUORUM_MAGIC_COOKIE_KEY, QUORUM_MAGIC_COOKIE_VALUE } from './handshake.js';
export { PluginInitializer } from '../generated/init_pb.js';
export type { PluginInitialization_Request, PluginInitialization_Response } from '../generated/init_pb.js';
export { PluginGreeting } from '../generated/helloworld_pb.js';
export type { PluginHelloWorld_Request, PluginHelloWorld_Response } from '../generated/helloworld_pb.js';

// The other interfaces' services, for plugins (serve) and hosts (clients).
export { TLSConfigurationSource, AuthenticationManager } from '../generated/security_pb.js';
export type {
  TLSConfiguration_Data,
  GrantedAuthority,
  PreAuthenticatedAuthenticationToken,
} from '../generated/security_pb.js';
export { AccountService } from '../generated/account_pb.js';
export { PluginQLightTokenRefresher } from '../generated/qlight_token_manager_pb.js';

// Host-side gateways, with geth's behaviour per interface.
export { sourceOf } from './source.js';
export type { ClientSource, ClientProvider, Dispenser, GatewayOptions } from './source.js';
export { HelloWorldGateway } from './helloworld.js';
export { InitializerGateway } from './initializer.js';
export {
  CIPHER_SUITE_OVERFLOW,
  DEFAULT_CIPHER_SUITES,
  TLS13_OPENSSL_SUITES,
  cipherSuiteName,
  toOpenSslCipherList,
} from './cipher-suites.js';
export {
  TLS_CURVES,
  TLS_MIN_VERSION,
  TLS_NOT_IMPLEMENTED_LOG,
  TlsConfigurationSourceGateway,
  buildTlsServerOptions,
  tlsConfigurationSource,
} from './security-tls.js';
export type { TlsServerOptions } from './security-tls.js';
export {
  ACCESS_DENIED_SUFFIX,
  INVALID_TIMESTAMP_PREFIX,
  MISSING_ACCESS_TOKEN,
  NOT_SUPPORTED_OPERATION,
  SECURITY_ERROR_CODE,
  TOKEN_EXPIRED,
  SecurityError,
  accessDeniedMessage,
  checkAccess,
  tokenExpiry,
} from './security-access.js';
export type { AuthenticatedToken, Authority, TokenTimestamp } from './security-access.js';
export {
  DisabledAuthenticationManager,
  PluginAuthenticationManager,
  authenticationManager,
} from './security-auth.js';
export type { AuthenticationManagerGateway } from './security-auth.js';
export {
  ADDRESS_LENGTH,
  INVALID_KEY_LENGTH,
  SIGNATURE_LENGTH,
  formatAddress,
  parseAddress,
  validateRawKey,
} from './account-keys.js';
export { formatAccountUrl, parseAccountUrl } from './account-url.js';
export type { AccountUrl } from './account-url.js';
export { AccountGateway, durationToNanos, encodeAccountConfig } from './account.js';
export type { AddressLike, PluginAccount } from './account.js';
export { QLightTokenManagerGateway, REFRESH_TOKEN_PREFIX } from './qlight.js';
export { jwtExpiry, stripAuthScheme } from './qlight-jwt.js';
export { TokenRefreshScheduler, realTimers } from './qlight-scheduler.js';
export type { RefreshTimers, TokenRefreshSchedulerOptions } from './qlight-scheduler.js';
