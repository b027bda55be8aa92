/**
 * node:http2, loaded on first use. Plugins and hosts run on our own HTTP/2
 * (protocol/h2); only the node-http2 transports need Node's, so a plugin's
 * start-up never pays for loading it (~6 ms and ~4 MB RSS on Node 24).
 */
import { createRequire } from 'node:module';
import type * as Http2 from 'node:http2';

let loaded: typeof Http2 | undefined;

export function nodeHttp2(): typeof Http2 {
  // getBuiltinModule: Node >= 20.16; createRequire for older 20.x (never in a SEA, which needs >= 22).
  // A built-in resolves from any base path: no import.meta, which a CommonJS bundle of a plugin
  // (`qplugin pack`'s code-cache format) would leave empty.
  return (loaded ??= (process.getBuiltinModule?.('node:http2') ??
    createRequire(process.execPath)('node:http2')) as typeof Http2);
}
