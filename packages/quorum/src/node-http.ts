/**
 * `node:http`, loaded with require rather than an ES import. Importing a
 * built-in as an ES module makes Node read every one of its exports to build
 * the module namespace, and node:http's lazy `WebSocket`, `CloseEvent` and
 * `MessageEvent` getters then load undici: on Node 22/24 ~50 ms and 14 MB in a
 * bare process for classes nothing here uses (nodejs/node#57649; Node 20 has
 * no such getters).
 */
import type * as NodeHttp from 'node:http';
import { createRequire } from 'node:module';

export const http = createRequire(import.meta.url)('node:http') as typeof NodeHttp;
