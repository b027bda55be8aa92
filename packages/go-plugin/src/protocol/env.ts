/**
 * Environment variables of the go-plugin protocol and the constants both
 * sides agree on. There are no others: go-plugin reads and writes only these
 * (plus the application's magic cookie variable).
 */

export const Env = {
  /** Versions the host accepts, e.g. `1` or `2,1` (order not meaningful). */
  protocolVersions: 'PLUGIN_PROTOCOL_VERSIONS',
  /** TCP port range for the plugin's listener (used for TCP only). */
  minPort: 'PLUGIN_MIN_PORT',
  maxPort: 'PLUGIN_MAX_PORT',
  /** PEM of the host's AutoMTLS certificate; its presence turns mTLS on. */
  clientCert: 'PLUGIN_CLIENT_CERT',
  /** Directory for the plugin's unix sockets (go-plugin >= 1.5). */
  unixSocketDir: 'PLUGIN_UNIX_SOCKET_DIR',
  /** Group (name or gid) to own the plugin's unix sockets, mode 0660. */
  unixSocketGroup: 'PLUGIN_UNIX_SOCKET_GROUP',
  /** `true` when the host wants the broker multiplexed over one connection (>= 1.6). */
  multiplexGRPC: 'PLUGIN_MULTIPLEX_GRPC',
} as const;

/** All variable names the protocol owns (a host strips inherited copies of these). */
export const protocolEnvNames: readonly string[] = Object.values(Env);

/** The only core protocol version go-plugin has ever had. */
export const CORE_PROTOCOL_VERSION = 1;

/** Health service name go-plugin checks. */
export const HEALTH_SERVICE_NAME = 'plugin';

/** go-plugin host defaults. */
export const DEFAULT_MIN_PORT = 10000;
export const DEFAULT_MAX_PORT = 25000;
export const DEFAULT_START_TIMEOUT_MS = 60_000;
export const DEFAULT_KILL_GRACE_MS = 2_000;
/** Grace for in-flight calls when a gRPC server stops (Go plugins stop at once). */
export const SERVER_STOP_GRACE_MS = 250;
/** How long a broker waits for connection info or a knock ack. */
export const BROKER_WAIT_MS = 5_000;

/**
 * Handshake settings shared by host and plugin: the application's protocol
 * version and its magic cookie. Quorum's values live in the quorum package.
 */
export interface HandshakeConfig {
  protocolVersion: number;
  magicCookieKey: string;
  magicCookieValue: string;
}
