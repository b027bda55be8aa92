/**
 * geth's access decision for a JSON-RPC call, given what the security
 * plugin's AuthenticationManager returned for the request's token: the token
 * must be present, carry a valid expiry that has not passed, and grant the
 * call's service and method (`*` matches anything in either field).
 *
 * The messages are geth's; a JSON-RPC server answers them with code -32001.
 */

export const SECURITY_ERROR_CODE = -32001;
export const MISSING_ACCESS_TOKEN = 'missing access token';
export const TOKEN_EXPIRED = 'token expired';
export const INVALID_TIMESTAMP_PREFIX = 'invalid timestamp in token: ';
export const ACCESS_DENIED_SUFFIX = ' - access denied';
export const NOT_SUPPORTED_OPERATION = 'not supported operation';

export const accessDeniedMessage = (service: string, method: string): string =>
  `${service}_${method}${ACCESS_DENIED_SUFFIX}`;

/** A refusal for security reasons; `jsonRpcCode` is what the RPC layer answers with. */
export class SecurityError extends Error {
  override readonly name = 'SecurityError';
  readonly jsonRpcCode = SECURITY_ERROR_CODE;
}

/** google.protobuf.Timestamp, as the plugin sent it. */
export interface TokenTimestamp {
  seconds: bigint;
  nanos: number;
}

export interface Authority {
  /** RPC namespace, e.g. `eth`, or `*`. */
  service: string;
  /** RPC method, e.g. `blockNumber`, or `*`. */
  method: string;
  /** The authority as the plugin read it from the token. */
  raw: string;
}

/** What AuthenticationManager.Authenticate returned for a token. */
export interface AuthenticatedToken {
  rawToken: Uint8Array;
  expiredAt: TokenTimestamp | undefined;
  authorities: Authority[];
}

// The range protobuf allows for a Timestamp: 0001-01-01 to 9999-12-31.
const MIN_SECONDS = -62135596800n;
const MAX_SECONDS = 253402300799n;

/** The expiry as a Date; throws `invalid timestamp in token: …` when it is missing or out of range. */
export function tokenExpiry(token: Pick<AuthenticatedToken, 'expiredAt'>): Date {
  const ts = token.expiredAt;
  const invalid = (why: string): SecurityError => new SecurityError(`${INVALID_TIMESTAMP_PREFIX}${why}`);
  if (!ts) throw invalid('no expiry timestamp');
  if (ts.seconds < MIN_SECONDS || ts.seconds > MAX_SECONDS)
    throw invalid(`seconds ${ts.seconds} outside 0001-01-01..9999-12-31`);
  if (!Number.isInteger(ts.nanos) || ts.nanos < 0 || ts.nanos >= 1e9)
    throw invalid(`nanos ${ts.nanos} not in [0, 1e9)`);
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6));
}

const matches = (granted: string, wanted: string): boolean => granted === '*' || granted === wanted;

/**
 * Throws a {@link SecurityError} unless `token` allows calling
 * `<service>_<method>` at `now`. Names are compared exactly (case matters).
 */
export function checkAccess(
  token: Pick<AuthenticatedToken, 'expiredAt' | 'authorities'> | undefined,
  service: string,
  method: string,
  now: Date | number = Date.now(),
): void {
  if (!token) throw new SecurityError(MISSING_ACCESS_TOKEN);
  const expiry = tokenExpiry(token);
  // Expired once now is after the expiry instant (equal is still valid).
  if (+now > expiry.getTime()) throw new SecurityError(TOKEN_EXPIRED);
  const allowed = token.authorities.some((a) => matches(a.service, service) && matches(a.method, method));
  if (!allowed) throw new SecurityError(accessDeniedMessage(service, method));
}
