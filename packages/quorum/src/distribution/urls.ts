/**
 * Plugin Central URLs. Every URL is a reference resolved against baseURL with
 * RFC 3986 rules (as geth's toURL does), so a trailing slash on baseURL
 * matters: `https://h/a/b` + `gpg.key` is `https://h/a/gpg.key`, while
 * `https://h/a/b/` + `gpg.key` is `https://h/a/b/gpg.key`. Every derived URL
 * must keep baseURL's origin (scheme, host and port), else a template or a
 * redirect could send the node to another server.
 */
import { QuorumError } from '../errors.js';
import type { CentralConfig, PluginDefinition, Platform } from '../settings/types.js';
import type { TemplateRenderer } from './template.js';
import { renderTemplate } from './template.js';

/** geth's text for a derived URL on another origin. */
export const ORIGIN_MISMATCH = 'target host doesnt match base host';

export function parseBaseURL(baseURL: string): URL {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch (cause) {
    throw new QuorumError('DIST_URL', `invalid Plugin Central baseURL ${JSON.stringify(baseURL)}`, {
      fix: 'Set central.baseURL to an absolute https:// URL (end it with "/" if it has a path).',
      details: { baseURL },
      cause,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new QuorumError('DIST_URL', `unsupported Plugin Central scheme ${url.protocol} in ${baseURL}`, {
      fix: 'Use an https:// (or, for testing, http://) baseURL.',
      details: { baseURL },
    });
  }
  return url;
}

/** Scheme, host and port equal (default ports normalised). */
export function isSameOrigin(base: string | URL, target: string | URL): boolean {
  try {
    const b = typeof base === 'string' ? new URL(base) : base;
    const t = typeof target === 'string' ? new URL(target) : target;
    return b.protocol === t.protocol && b.host === t.host;
  } catch {
    return false;
  }
}

export function checkSameOrigin(base: string | URL, target: string | URL): void {
  if (!isSameOrigin(base, target)) {
    throw new QuorumError('DIST_URL', ORIGIN_MISMATCH, {
      fix: 'Central path templates, publicKeyURI and redirects must stay on the scheme, host and port of central.baseURL.',
      details: { base: String(base), target: String(target) },
    });
  }
}

/** Resolves `reference` against baseURL (RFC 3986) and enforces the same origin. */
export function resolveCentralURL(baseURL: string | URL, reference: string): URL {
  const base = typeof baseURL === 'string' ? parseBaseURL(baseURL) : baseURL;
  let target: URL;
  try {
    target = new URL(reference, base);
  } catch (cause) {
    throw new QuorumError('DIST_URL', `invalid Plugin Central reference ${JSON.stringify(reference)}`, {
      details: { base: base.href, reference },
      cause,
    });
  }
  checkSameOrigin(base, target);
  return target;
}

export interface CentralURLs {
  distribution: URL;
  signature: URL;
  publicKey: URL;
}

/** The three URLs the host may fetch for one plugin definition. */
export function centralURLs(
  central: CentralConfig,
  definition: PluginDefinition,
  platform: Platform,
  render: TemplateRenderer = renderTemplate,
): CentralURLs {
  const base = parseBaseURL(central.baseURL);
  const data = { Name: definition.name, Version: definition.version, OS: platform.os, Arch: platform.arch };
  return {
    distribution: resolveCentralURL(base, render(central.pluginDistPathTemplate, data)),
    signature: resolveCentralURL(base, render(central.pluginSigPathTemplate, data)),
    publicKey: resolveCentralURL(base, central.publicKeyURI),
  };
}
