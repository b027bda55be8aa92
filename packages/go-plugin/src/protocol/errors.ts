/**
 * The one error catalog of the go-plugin layer. Every failure we raise is a
 * {@link GoPluginError} with a stable `code`. Where go-plugin has a message
 * for the same failure, `message` is go-plugin's text verbatim (v1.8.0
 * wording) so that people can search for it; what to do about it is in `fix`,
 * and the values involved are in `details`.
 */

export const ErrorCodes = {
  /** The first stdout line has fewer than 4 `|`-separated fields (or stdout closed first). */
  HANDSHAKE_BAD_LINE: 'The plugin did not print a go-plugin handshake line as its first stdout line.',
  /** Field 1 is not `1`. */
  HANDSHAKE_CORE_VERSION: 'The handshake core protocol version is not 1.',
  /** Field 2 is not a number or not one of the versions the host offered. */
  HANDSHAKE_APP_VERSION: 'The handshake app protocol version was not offered by the host.',
  /** Field 3/4: unknown network type or an address that does not resolve. */
  HANDSHAKE_NETWORK: 'The handshake network type or address is invalid.',
  /** Field 5 names a protocol the host does not allow (e.g. netrpc). */
  HANDSHAKE_PROTOCOL: 'The handshake names a protocol the host does not allow.',
  /** Field 6 is not unpadded standard base64 of a DER X.509 certificate. */
  HANDSHAKE_CERT: 'The handshake server certificate could not be decoded.',
  /** Field 6 is missing/too short while the host requires TLS. */
  HANDSHAKE_CERT_MISSING: 'The host enabled AutoMTLS but the plugin announced no certificate.',
  /** Multiplexing was requested and field 7 is missing, false or not a boolean. */
  HANDSHAKE_MUX: 'The plugin does not support gRPC broker multiplexing.',
  /** The plugin was started without the magic cookie (or the SDK was given none). */
  COOKIE_MISMATCH: 'The magic cookie is missing or wrong.',
  COOKIE_NOT_CONFIGURED: 'serve() was given no magic cookie key or value.',
  /** PLUGIN_PROTOCOL_VERSIONS and the plugin's versions have nothing in common. */
  NEGOTIATION_FAILED: 'No protocol version in common.',
  /** PLUGIN_MIN_PORT / PLUGIN_MAX_PORT unusable, or no free port in range. */
  LISTEN_PORT_RANGE: 'The TCP port range from the environment cannot be used.',
  /** A unix socket or TCP listener could not be created. */
  LISTEN_FAILED: 'The plugin could not listen.',
  /** PLUGIN_UNIX_SOCKET_GROUP names no group, or chown/chmod failed. */
  LISTEN_SOCKET_GROUP: 'The unix socket group could not be applied.',
  /** PLUGIN_CLIENT_CERT is not a PEM certificate. */
  TLS_CLIENT_CERT: 'The host certificate in PLUGIN_CLIENT_CERT is unusable.',
  /** A certificate could not be generated or parsed. */
  TLS_CERT: 'A certificate could not be generated or parsed.',
  /** A peer presented a certificate other than the one announced for it. */
  TLS_PEER_MISMATCH: 'The peer certificate is not the one expected.',
  /** The plugin did not print its handshake within the start timeout. */
  START_TIMEOUT: 'The plugin did not start in time.',
  /** The plugin process exited before the host could connect. */
  PROCESS_EXITED: 'The plugin exited before the host could connect.',
  /** The executable could not be started (missing, not executable, bad interpreter). */
  SPAWN_FAILED: 'The plugin executable could not be started.',
  /** SecureConfig: the executable's checksum is not the expected one. */
  CHECKSUM_MISMATCH: "The plugin executable's checksum does not match.",
  /** SecureConfig: it could not be computed (no checksum, unknown hash, unreadable file). */
  CHECKSUM_ERROR: "The plugin executable's checksum could not be verified.",
  /** The plugin's health service says it is not serving "plugin". */
  HEALTH_NOT_SERVING: 'The plugin reports it is not serving.',
  /** Connecting to the plugin's gRPC server failed (TLS, socket). */
  CONNECT_FAILED: 'Could not connect to the plugin.',
  /** A call was made on a plugin that has exited or been killed. */
  PLUGIN_EXITED: 'The plugin is not running.',
  /** Reattach: no process with that pid, or nothing listens at the address. */
  REATTACH_NOT_FOUND: 'The plugin to reattach to was not found.',
  /** Reattach JSON (go-plugin test mode, TF_REATTACH_PROVIDERS) is malformed or names what we cannot use. */
  REATTACH_INVALID: 'The reattach configuration is invalid.',
  /** An operation does not fit the client's state (e.g. start after kill). */
  CLIENT_STATE: 'The operation does not fit the client state.',
  /** Options passed to an API are invalid. */
  INVALID_OPTIONS: 'Invalid options.',
  /** The broker stream is closed (plugin shutting down or host went away). */
  BROKER_CLOSED: 'The broker is closed.',
  /** No ConnInfo for the brokered id arrived in time. */
  BROKER_TIMEOUT: 'Timed out waiting for brokered connection info.',
  /** A multiplexed brokered dial was refused or not acknowledged. */
  BROKER_KNOCK: 'The multiplexing knock for a brokered connection failed.',
  /** ConnInfo carried an address we cannot dial. */
  BROKER_ADDRESS: 'Brokered connection info carries an unusable address.',
  /** A yamux peer broke the protocol, or the session is gone. */
  YAMUX_PROTOCOL: 'yamux protocol error.',
  YAMUX_CLOSED: 'The yamux session or stream is closed.',
  YAMUX_TIMEOUT: 'A yamux operation timed out.',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface CodedErrorOptions {
  /** What the reader should do about it. */
  fix?: string;
  /** The values involved (field names, offending input, limits). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Base of every error the project raises: a stable `code`, a message naming
 * what failed, `fix` saying what to do, `details` with the values involved.
 * Each layer has its own catalog of codes (this file for go-plugin).
 */
/**
 * Brands: our error classes mark their prototypes with a registered symbol, so
 * `isGoPluginError` and friends recognise errors made by another copy of the
 * package (two versions installed side by side), where `instanceof` fails.
 */
const CODED_ERROR = Symbol.for('qplugin.CodedError');
const GO_PLUGIN_ERROR = Symbol.for('qplugin.GoPluginError');

/** Marks `cls`'s instances with `brand` (a non-enumerable prototype property). */
export function brandClass(cls: { prototype: object }, brand: symbol): void {
  Object.defineProperty(cls.prototype, brand, { value: true });
}

/** Whether `value` carries `brand`, from this copy of the package or another. */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  readonly fix: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: C, message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fix = options.fix;
    this.details = Object.freeze({ ...options.details });
  }

  /** Message, then the fix on its own line: what a CLI prints. */
  describe(): string {
    return this.fix ? `${this.message}\nfix: ${this.fix}` : this.message;
  }
}

export class GoPluginError extends CodedError<ErrorCode> {
  override readonly name = 'GoPluginError';
}
brandClass(CodedError, CODED_ERROR);
brandClass(GoPluginError, GO_PLUGIN_ERROR);

/** Any of our coded errors (GoPluginError, QuorumError, …), from any copy of the packages. */
export function isCodedError(value: unknown): value is CodedError {
  return hasBrand(value, CODED_ERROR);
}

export function isGoPluginError(value: unknown, code?: ErrorCode): value is GoPluginError {
  return hasBrand(value, GO_PLUGIN_ERROR) && (code === undefined || (value as GoPluginError).code === code);
}

/** The message of anything thrown: an Error's message, a `{ message }` object's, else String(value). */
export function messageOf(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'object' && value !== null) {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(value);
}
