/** Constructors for the three yamux error codes of the go-plugin error catalog. */
import { GoPluginError } from '../errors.js';

/** The peer broke the protocol; the session ends and the peer gets GoAway(protocol error). */
export function protocolError(message: string, details: Record<string, unknown>): GoPluginError {
  return new GoPluginError('YAMUX_PROTOCOL', message, { details });
}

/** The session or stream is gone (closed, reset, or its session ended). */
export function closedError(
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): GoPluginError {
  return new GoPluginError('YAMUX_CLOSED', message, { details, cause });
}

export function timeoutError(
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): GoPluginError {
  return new GoPluginError('YAMUX_TIMEOUT', message, { details, cause });
}
