/**
 * Proxy selection from the environment (geth itself ignores proxies). The
 * conventions are curl's and Go's: HTTPS_PROXY for https URLs, HTTP_PROXY for
 * http URLs, upper case first, and NO_PROXY as a comma-separated list of
 * `*`, host names (matching the host and its subdomains, a leading dot
 * allowed), IP addresses or CIDR ranges, each optionally with `:port`.
 * Unlike Go, loopback hosts are not exempt implicitly: list them in NO_PROXY.
 */
import { BlockList, isIP } from 'node:net';

import { QuorumError } from '../errors.js';

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

function envValue(env: ProxyEnv, name: string): string | undefined {
  const value = env[name.toUpperCase()] ?? env[name.toLowerCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function matchesEntry(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  let name = entry;
  let entryPort: string | undefined;
  // host:port and [v6]:port; a bare IPv6 address has several colons.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(name);
  if (bracketed) {
    name = bracketed[1] ?? '';
    entryPort = bracketed[2];
  } else if ((name.match(/:/g) ?? []).length === 1) {
    const i = name.indexOf(':');
    entryPort = name.slice(i + 1);
    name = name.slice(0, i);
  }
  if (entryPort !== undefined && entryPort !== port) return false;

  const slash = name.indexOf('/');
  if (slash > 0) {
    const family = isIP(name.slice(0, slash));
    const hostFamily = isIP(host);
    if (family === 0 || hostFamily === 0) return false;
    const list = new BlockList();
    const type = family === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(name.slice(0, slash), Number(name.slice(slash + 1)), type);
    return list.check(host, hostFamily === 6 ? 'ipv6' : 'ipv4');
  }
  if (isIP(name) !== 0) return name === host;
  const domain = name.replace(/^\*?\./, '');
  return host === domain || host.endsWith(`.${domain}`);
}

/** Whether NO_PROXY exempts this URL. */
export function bypassesProxy(url: URL, env: ProxyEnv): boolean {
  const noProxy = envValue(env, 'no_proxy');
  if (noProxy === undefined) return false;
  const host = stripBrackets(url.hostname).toLowerCase();
  const port = url.port || defaultPort(url.protocol);
  return noProxy
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '')
    .some((entry) => matchesEntry(entry, host, port));
}

/** The http:// proxy to use for `url`, or undefined for a direct connection. */
export function proxyFor(url: URL, env: ProxyEnv): URL | undefined {
  const raw = envValue(env, url.protocol === 'https:' ? 'https_proxy' : 'http_proxy');
  if (raw === undefined || bypassesProxy(url, env)) return undefined;
  let proxy: URL;
  try {
    // Like curl and Go, a proxy without a scheme means http://.
    proxy = new URL(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(raw) ? raw : `http://${raw}`);
  } catch (cause) {
    throw new QuorumError('DIST_DOWNLOAD', `invalid proxy URL ${JSON.stringify(raw)}`, {
      fix: 'Set HTTPS_PROXY/HTTP_PROXY to http://host:port, or unset them.',
      details: { proxy: raw },
      cause,
    });
  }
  if (proxy.protocol !== 'http:') {
    throw new QuorumError('DIST_DOWNLOAD', `unsupported proxy scheme ${proxy.protocol} in ${raw}`, {
      fix: 'Only http:// proxies are supported (https targets are tunnelled with CONNECT).',
      details: { proxy: raw },
    });
  }
  return proxy;
}

/** `Proxy-Authorization` value when the proxy URL carries credentials. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}
