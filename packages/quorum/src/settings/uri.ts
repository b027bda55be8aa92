/**
 * The `--plugins` value: geth accepts only `file://` URLs and opens the
 * URL's host joined with its path, so `file://./x/y.json` is relative to the
 * working directory and `file:///x/y.json` is absolute.
 */
import { resolve } from 'node:path';

import { fail } from './fail.js';
import { GoUrlError, goFilePath, parseGoUrl } from './go-url.js';
import type { GoUrl } from './go-url.js';
import { shortText } from './value-tree.js';

export interface SettingsLocation {
  /** The path as geth opens it (used in its error texts). */
  path: string;
  absolute: string;
}

const URI_FIX =
  'use file:///absolute/path/settings.json, or file://./relative/settings.json (relative to the working directory)';

export function settingsLocation(uri: string, cwd: string): SettingsLocation {
  let url: GoUrl;
  try {
    url = parseGoUrl(uri);
  } catch (err) {
    if (!(err instanceof GoUrlError)) throw err;
    // A hostile URI is cut short in the text; details keep it whole.
    throw fail('SETTINGS_URI', `plugins: Invalid URL for --plugins due to ${err.message}`, {
      where: { file: shortText(uri) },
      found: JSON.stringify(shortText(uri)),
      expected: 'a file:// URL',
      fix: URI_FIX,
      details: { uri, reason: err.reason },
    });
  }
  if (url.scheme !== 'file') {
    // With no scheme geth's text ends in a space; kept for exact matching.
    const scheme = shortText(url.scheme);
    throw fail('SETTINGS_URI', `plugins: unable to create reader due to unsupported scheme ${scheme}`, {
      where: { file: shortText(uri) },
      found: url.scheme === '' ? 'no scheme' : `scheme ${JSON.stringify(scheme)}`,
      expected: 'scheme "file"',
      fix: URI_FIX,
      details: { uri, scheme: url.scheme },
    });
  }
  const path = goFilePath(url);
  return { path, absolute: resolve(cwd, path) };
}
