/**
 * The magic cookie check, with go-plugin's exact texts. The cookie is a UX
 * guard against running a plugin by hand, not a security feature.
 */
import type { HandshakeConfig } from '../protocol/env.js';

export const COOKIE_MISMATCH_TEXT =
  'This binary is a plugin. These are not meant to be executed directly.\n' +
  'Please execute the program that consumes these plugins, which will\n' +
  'load any plugins automatically\n';

export const COOKIE_NOT_CONFIGURED_TEXT =
  'Misconfigured ServeConfig given to serve this plugin: no magic cookie\n' +
  'key or value was set. Please notify the plugin author and report\n' +
  'this as a bug.\n';

export type CookieVerdict = 'ok' | 'mismatch' | 'not-configured';

/** A missing variable counts as the empty string, as in go-plugin. */
export function checkCookie(config: HandshakeConfig, env: NodeJS.ProcessEnv): CookieVerdict {
  if (!config.magicCookieKey || !config.magicCookieValue) return 'not-configured';
  return (env[config.magicCookieKey] ?? '') === config.magicCookieValue ? 'ok' : 'mismatch';
}
