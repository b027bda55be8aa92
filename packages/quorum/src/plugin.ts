/**
 * `@qplugin/quorum/plugin`: what a plugin needs and nothing else — Quorum's
 * handshake and the service descriptors. Kept apart from the package root,
 * which also loads the manager, OpenPGP and zip code: a plugin's start-up time
 * counts.
 */
export {
  QUORUM_HANDSHAKE,
  QUORUM_MAGIC_COOKIE_KEY,
  QUORUM_MAGIC_COOKIE_VALUE,
} from './interfaces/handshake.js';
export { PluginInitializer } from './generated/init_pb.js';
export { PluginGreeting } from './generated/helloworld_pb.js';
export { TLSConfigurationSource, AuthenticationManager } from './generated/security_pb.js';
export { AccountService } from './generated/account_pb.js';
export { PluginQLightTokenRefresher } from './generated/qlight_token_manager_pb.js';
