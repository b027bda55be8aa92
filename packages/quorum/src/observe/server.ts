/**
 * The metrics listener of a plugin host (geth's `--metrics.addr/port`): a
 * small read-only HTTP server, separate from the JSON-RPC endpoint.
 *
 *   GET /debug/metrics/prometheus   Prometheus text exposition
 *   GET /healthz                    200 while the process serves requests
 *   GET /readyz                     200 when every provider is ready, else 503 naming those that are not
 *   GET /debug/plugins              the status page
 *   GET /debug/plugins/status       the page's JSON
 *
 * Binds 127.0.0.1 unless told otherwise. Shows no config values, tokens or
 * paths: provider and plugin names, versions, states, pids, exit reasons.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@qplugin/go-plugin/protocol';
import type { Logger } from '@qplugin/go-plugin/protocol';

import { http } from '../node-http.js';
import type { HostMetrics } from './metrics.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './page.js';
import { hostStatus, readiness } from './status.js';

export const METRICS_PATH = '/debug/metrics/prometheus';
export const STATUS_PAGE_PATH = '/debug/plugins';
export const STATUS_JSON_PATH = '/debug/plugins/status';

export interface MetricsServerOptions {
  metrics: HostMetrics;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 6060, geth's; 0 picks a free port. */
  port?: number;
  /** How often the status page's calls/s and p99 are sampled, ms. Default 5000; 0: never (tests call metrics.sample()). */
  sampleMs?: number;
  logger?: Logger;
}

export interface MetricsServer {
  /** `http://host:port` */
  readonly url: string;
  /** From now on /readyz answers 503 (`draining`): call on SIGTERM, before draining the gateway. */
  drain(): void;
  close(): Promise<void>;
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** JSON that cannot end an HTML context even if a browser sniffed it: `<`, `>`, `&` escaped. */
function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...COMMON_HEADERS,
    ...extra,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { metrics } = options;
  const logger = options.logger ?? silentLogger;
  const sampleMs = options.sampleMs ?? 5000;
  let draining = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
    }
    const path = (req.url ?? '/').split('?')[0]!;
    switch (path) {
      case METRICS_PATH:
        return send(res, 200, metrics.registry.contentType, await metrics.metrics());
      case '/healthz':
        return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      case '/readyz': {
        const r = readiness(metrics.attached, draining);
        return send(res, r.ready ? 200 : 503, 'application/json', jsonText(r) + '\n');
      }
      case STATUS_PAGE_PATH:
      case `${STATUS_PAGE_PATH}/`:
        return send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML, {
          'content-security-policy': STATUS_PAGE_CSP,
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
        });
      case STATUS_JSON_PATH:
        return send(res, 200, 'application/json', jsonText(hostStatus(metrics, draining, sampleMs)) + '\n');
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  };

  const server: Server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error('metrics request failed', { path: req.url, error: err });
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  // Scrapes and probes are small: a slow or stuck client must not hold a socket for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 6060, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  metrics.sample();
  const timer = sampleMs > 0 ? setInterval(() => metrics.sample(), sampleMs) : undefined;
  timer?.unref();
  logger.info('Metrics server started', { endpoint: url, metrics: METRICS_PATH, status: STATUS_PAGE_PATH });

  let closing: Promise<void> | undefined;
  return {
    url,
    drain() {
      draining = true;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (timer) clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
