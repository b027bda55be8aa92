/**
 * One GET against Plugin Central: same-origin redirects only, an idle
 * timeout, a size cap enforced on Content-Length and again on the bytes that
 * actually arrive, progress events, and geth's error text for a non-200.
 */
import type { IncomingMessage } from 'node:http';

import type { Logger } from '@qplugin/go-plugin/core/internal';

import { QuorumError } from '../errors.js';
import { http } from '../node-http.js';
import type { ConnectOptions } from './connect.js';
import { openConnection } from './connect.js';
import { checkSameOrigin } from './urls.js';

export interface DownloadProgress {
  url: string;
  /** Bytes of the body received so far. */
  received: number;
  /** Content-Length, when the server sent one. */
  total?: number;
}

export interface HttpGetOptions extends ConnectOptions {
  /** No byte received for this long aborts the request. */
  idleTimeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** Origin every URL, including redirect targets, must keep. */
  origin: URL;
  onProgress?: (progress: DownloadProgress) => void;
  /** Called with each chunk in order (e.g. to write a file); awaited. */
  onChunk?: (chunk: Buffer) => void | Promise<void>;
  /** Keep the body in memory. Default true; false when onChunk streams it elsewhere (body is then empty). */
  keepBody?: boolean;
  logger: Logger;
}

export interface HttpGetResult {
  body: Buffer;
  /** Bytes received (the body's length when kept). */
  received: number;
  /** Final URL after redirects. */
  url: URL;
}

/** How much of an error body goes into the message. */
const ERROR_BODY_LIMIT = 512;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function fail(message: string, url: URL, extra: Record<string, unknown> = {}, cause?: unknown): QuorumError {
  return new QuorumError('DIST_DOWNLOAD', message, { details: { url: url.href, ...extra }, cause });
}

async function readErrorBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= ERROR_BODY_LIMIT) break;
    }
  } catch {
    // The status is what matters; a broken error body is not worth reporting.
  }
  const text = Buffer.concat(chunks).subarray(0, ERROR_BODY_LIMIT).toString('utf8');
  return size > ERROR_BODY_LIMIT ? `${text}…` : text;
}

/** One request/response exchange; resolves to the response or a redirect target. */
async function exchange(
  url: URL,
  o: HttpGetOptions,
): Promise<{ body: Buffer; received: number } | { location: URL }> {
  const conn = await openConnection(url, o);
  let failure: QuorumError | undefined;
  const req = http.request({
    method: 'GET',
    path: conn.path,
    setHost: false,
    headers: {
      Host: url.host,
      'User-Agent': 'qplugin-quorum',
      Accept: '*/*',
      'Accept-Encoding': 'identity',
      Connection: 'close',
      ...conn.headers,
    },
    createConnection: () => conn.socket,
  });
  const abort = (err: QuorumError): void => {
    failure ??= err;
    req.destroy(err);
  };
  req.setTimeout(o.idleTimeoutMs, () =>
    abort(fail(`download of ${url.href} timed out: no data for ${o.idleTimeoutMs} ms`, url)),
  );
  const onAbort = (): void => abort(fail(`download of ${url.href} aborted`, url));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
      req.end();
    });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECTS.has(status) && location !== undefined) {
      res.resume();
      return { location: new URL(location, url) };
    }
    if (status !== 200) {
      const body = await readErrorBody(res);
      const statusText = `${status} ${res.statusMessage ?? ''}`.trim();
      throw fail(`HTTP GET error: code=${status}, status=${statusText}, body=${body}`, url, { status, body });
    }
    const header = res.headers['content-length'];
    const total = header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
    if (total !== undefined && total > o.maxBytes) {
      throw fail(`download of ${url.href} is ${total} bytes, over the ${o.maxBytes}-byte limit`, url, {
        total,
      });
    }
    const chunks: Buffer[] = [];
    let received = 0;
    o.onProgress?.({ url: url.href, received, ...(total !== undefined ? { total } : {}) });
    for await (const chunk of res as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > o.maxBytes) {
        throw fail(`download of ${url.href} exceeded the ${o.maxBytes}-byte limit`, url, { received });
      }
      if (o.keepBody !== false) chunks.push(chunk);
      await o.onChunk?.(chunk);
      o.onProgress?.({ url: url.href, received, ...(total !== undefined ? { total } : {}) });
    }
    if (total !== undefined && received !== total) {
      throw fail(`download of ${url.href} ended after ${received} of ${total} bytes`, url, {
        received,
        total,
      });
    }
    return { body: o.keepBody !== false ? Buffer.concat(chunks, received) : Buffer.alloc(0), received };
  } catch (err) {
    if (failure !== undefined) throw failure;
    if (err instanceof QuorumError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw fail(`download of ${url.href} failed: ${message}`, url, {}, err);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    req.destroy();
  }
}

/** GETs `url` (which must share `origin`), following same-origin redirects. */
export async function httpGet(url: URL, o: HttpGetOptions): Promise<HttpGetResult> {
  let current = url;
  for (let hop = 0; ; hop++) {
    checkSameOrigin(o.origin, current);
    const started = Date.now();
    const result = await exchange(current, o);
    if ('body' in result) {
      o.logger.debug('download completed', {
        url: current.href,
        bytes: result.received,
        took: Date.now() - started,
      });
      return { body: result.body, received: result.received, url: current };
    }
    if (hop >= o.maxRedirects) {
      throw fail(`too many redirects fetching ${url.href}`, url, { maxRedirects: o.maxRedirects });
    }
    o.logger.debug('following redirect', { from: current.href, to: result.location.href });
    current = result.location;
  }
}
