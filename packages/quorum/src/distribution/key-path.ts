/**
 * geth's resolveFilePath for `--plugins.publickey`: parse the value as a URL,
 * join its host and path, make it absolute. The scheme is ignored, so
 * `file:///k.asc`, `file://./k.asc` (relative to the CWD) and a bare path all
 * work. Only an unparseable value fails (Go: "missing protocol scheme").
 */
import { resolve } from 'node:path';

import { QuorumError } from '../errors.js';
import { hasControlCharacter } from './zip-entry.js';

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

export function resolveKeyPath(uri: string, cwd: string = process.cwd()): string {
  const fail = (why: string): never => {
    throw new QuorumError('VERIFY_MATERIAL', `invalid public key URI ${JSON.stringify(uri)}: ${why}`, {
      fix: 'Give the key as file:///absolute/path/gpg.key or as a plain path.',
      details: { uri },
    });
  };
  // Go's url.Parse rejects ASCII control characters and a leading ':'.
  if (hasControlCharacter(uri)) fail('invalid control character in URL');
  if (uri.startsWith(':')) fail('missing protocol scheme');

  let rest = uri;
  const scheme = SCHEME.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  rest = rest.replace(/[?#].*$/s, '');
  let host = '';
  let path = rest;
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    path = slash < 0 ? '' : rest.slice(slash);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return fail('invalid URL escape');
  }
  const joined = [host, decoded].filter((part) => part !== '').join('/');
  if (joined === '') fail('no path');
  return resolve(cwd, joined);
}
