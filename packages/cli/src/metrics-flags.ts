/**
 * `qplugin run`'s metrics flags, as geth spells them: `--metrics` turns on a
 * separate listener (`--metrics.addr`, `--metrics.port`) with Prometheus
 * metrics, health endpoints and the status page. The observe module (and
 * prom-client with it) is loaded only then.
 */
import type { Logger } from '@qplugin/go-plugin/protocol';

import type { HostMetrics, MetricsServer } from '@qplugin/quorum/observe';
import { bool, str, UsageError } from './args.js';
import type { OptionSpecs, Parsed } from './args.js';

export const METRICS_FLAGS: OptionSpecs = {
  metrics: {
    type: 'boolean',
    description:
      'serve Prometheus metrics (/debug/metrics/prometheus), /healthz, /readyz and the /debug/plugins status page on a listener of their own',
  },
  'metrics.addr': {
    type: 'string',
    value: 'HOST',
    description: 'metrics listen address (anything but loopback exposes plugin names, states and pids)',
    default: '127.0.0.1',
  },
  'metrics.port': {
    type: 'string',
    value: 'PORT',
    description: 'metrics port (0 picks a free one); never the JSON-RPC port',
    default: '6060',
  },
};

export interface MetricsListen {
  host: string;
  port: number;
}

/** The metrics listener the flags ask for, or undefined without --metrics. */
export function metricsFromFlags(
  values: Parsed['values'],
  httpPort: number | undefined,
): MetricsListen | undefined {
  if (!bool(values.metrics)) return undefined;
  const text = str(values['metrics.port']) ?? '6060';
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port) || port > 65535)
    throw new UsageError(`--metrics.port must be a port number, not ${text}`);
  if (port !== 0 && port === httpPort)
    throw new UsageError(
      `--metrics.port ${port} is the JSON-RPC port (--http.port): give the metrics a port of their own`,
    );
  const host = str(values['metrics.addr']) ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('--metrics.addr must not be empty');
  return { host, port };
}

export interface Observability {
  metrics: HostMetrics;
  server: MetricsServer;
}

/** Loads the observe module, makes the metrics and starts their listener. */
export async function startObservability(listen: MetricsListen, logger: Logger): Promise<Observability> {
  const { HostMetrics, startMetricsServer } = await import('@qplugin/quorum/observe');
  const metrics = new HostMetrics();
  const server = await startMetricsServer({ metrics, host: listen.host, port: listen.port, logger });
  return { metrics, server };
}
