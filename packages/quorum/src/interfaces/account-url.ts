/**
 * Account URLs as geth's accounts.URL has them: `scheme://path`, where the
 * path is whatever follows the `://` (its format is up to the plugin).
 */

export interface AccountUrl {
  scheme: string;
  path: string;
}

/** Splits `scheme://path`; throws `missing protocol scheme` when there is none. */
export function parseAccountUrl(url: string): AccountUrl {
  const at = url.indexOf('://');
  if (at <= 0) throw new Error(`invalid account URL ${JSON.stringify(url)}: missing protocol scheme`);
  return { scheme: url.slice(0, at), path: url.slice(at + 3) };
}

export const formatAccountUrl = (url: AccountUrl): string => `${url.scheme}://${url.path}`;
