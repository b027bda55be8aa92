import { messageOf } from '@qplugin/go-plugin/protocol';
/**
 * Reading a qlight token's expiry: the token may carry an authorization
 * scheme (`Bearer <jwt>`), which is stripped; the JWT payload's `exp`
 * (NumericDate, seconds) says when it expires. The signature is not checked:
 * the host only schedules refreshes with it.
 */

/** The token without a leading `<scheme> ` (e.g. `Bearer `). */
export function stripAuthScheme(token: string): string {
  const trimmed = token.trim();
  const space = trimmed.search(/\s/);
  return space < 0 ? trimmed : trimmed.slice(space).trim();
}

/** The `exp` of a JWT (optionally prefixed by a scheme) as a Date. */
export function jwtExpiry(token: string): Date {
  const jwt = stripAuthScheme(token);
  const parts = jwt.split('.');
  if (parts.length !== 3)
    throw new Error(`invalid token: a JWT has 3 dot-separated parts, found ${parts.length}`);
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch (err) {
    throw new Error(`invalid token: payload is not base64url JSON (${messageOf(err)})`, {
      cause: err,
    });
  }
  const exp =
    typeof payload === 'object' && payload !== null ? (payload as { exp?: unknown }).exp : undefined;
  if (typeof exp !== 'number' || !Number.isFinite(exp))
    throw new Error('invalid token: no numeric exp claim');
  return new Date(exp * 1000);
}
