/** `qplugin run`: start the plugins from a settings file and a JSON-RPC gateway, like geth does. */
import type { LogLevel } from '@qplugin/go-plugin/protocol';

import { startRpcEndpoint } from '@qplugin/quorum';
import { bool, str, UsageError } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { cliLogger, printResult } from '../output.js';
import { METRICS_FLAGS, metricsFromFlags, startObservability } from '../metrics-flags.js';
import { managerFromFlags, PLUGIN_FLAGS } from '../plugin-flags.js';
import { SUPERVISION_FLAGS, supervisionFromFlags } from '../supervision-flags.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'off'];

export const run: Command = {
  name: 'run',
  usage:
    'qplugin run --plugins file://settings.json [--plugins.skipverify | --plugins.localverify [--plugins.publickey URI]] [--http.api admin,plugin@helloworld] [options]',
  options: {
    ...PLUGIN_FLAGS,
    ...SUPERVISION_FLAGS,
    'http.addr': {
      type: 'string',
      value: 'HOST',
      description: 'JSON-RPC listen address',
      default: '127.0.0.1',
    },
    'http.port': {
      type: 'string',
      value: 'PORT',
      description: 'JSON-RPC port (0 picks a free one)',
      default: '8545',
    },
    'http.api': {
      type: 'string',
      value: 'LIST',
      description:
        'namespaces to serve, comma-separated (default: the configured plugin@<interface> namespaces; add admin explicitly)',
    },
    'no-http': { type: 'boolean', description: 'start the plugins only, no JSON-RPC endpoint' },
    verbosity: {
      type: 'string',
      value: 'LEVEL',
      description: 'trace, debug, info, warn, error or off',
      default: 'info',
    },
    ...METRICS_FLAGS,
  },
  details:
    'Stops cleanly on SIGINT/SIGTERM: the endpoint drains, every plugin is shut down and its workspace deleted.\n' +
    'A plugin process that dies or stops answering health checks is restarted (same workspace, Init again) after a\n' +
    'backoff; calls wait for it (--plugins.callwait). At the --plugins.restart.maxcrashes-th crash within the window\n' +
    'the plugin is left failed (admin_nodeInfo says why) until admin_reloadPlugin.\n' +
    'With a security plugin configured, the endpoint is HTTPS with its TLS material and requires bearer tokens it accepts.\n' +
    'With --metrics, a second listener (127.0.0.1:6060 by default) serves /debug/metrics/prometheus, /healthz,\n' +
    '/readyz (503 until every plugin is ready, and while shutting down) and the /debug/plugins status page.',
  async run({ values }, io) {
    const level = str(values.verbosity) ?? 'info';
    if (!LEVELS.includes(level)) throw new UsageError(`--verbosity must be one of ${LEVELS.join(', ')}`);
    const port = Number(str(values['http.port']) ?? '8545');
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError('--http.port must be a port number');
    const supervision = supervisionFromFlags(values);
    const metricsListen = metricsFromFlags(values, bool(values['no-http']) ? undefined : port);
    const logger = cliLogger(io, level as LogLevel | 'off');

    // Up before the plugins start: /readyz says 503 while they do.
    const observed = metricsListen ? await startObservability(metricsListen, logger) : undefined;
    let started: Awaited<ReturnType<typeof managerFromFlags>>;
    try {
      started = await managerFromFlags(values, logger, undefined, supervision, observed?.metrics);
      observed?.metrics.attach(started.manager);
      await started.manager.start();
    } catch (err) {
      await observed?.server.close();
      throw err;
    }
    const { manager, settings } = started;

    let endpoint: Awaited<ReturnType<typeof startRpcEndpoint>> | undefined;
    try {
      if (!bool(values['no-http'])) {
        const configured = [...settings.providers.keys()]
          .filter((i) => i === 'helloworld' || i === 'account')
          .map((i) => `plugin@${i}`);
        const api = str(values['http.api']);
        const enabled =
          api !== undefined
            ? api
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
            : configured;
        endpoint = await startRpcEndpoint(manager, {
          host: str(values['http.addr']),
          port,
          enabled,
          logger,
          ...(observed ? { observer: observed.metrics.gateway } : {}),
        });
      }
      const serving = endpoint ? `serving ${endpoint.url}` : 'plugins started';
      printResult(
        io,
        {
          ok: true,
          url: endpoint?.url ?? null,
          secured: endpoint?.secured ?? null,
          ...(observed ? { metrics: observed.server.url } : {}),
          plugins: manager.pluginsInfo(),
        },
        observed ? `${serving}; metrics on ${observed.server.url}` : serving,
      );
    } catch (err) {
      // Whatever fails before we serve (the endpoint, printing) stops what started: nothing keeps running.
      await endpoint?.gateway.stop();
      await manager.stop();
      await observed?.server.close();
      throw err;
    }

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    logger.info('Shutting down', { signal });
    // Not ready from now on, so load balancers stop sending; the metrics listener goes last.
    observed?.server.drain();
    await endpoint?.gateway.stop();
    await manager.stop();
    await observed?.server.close();
    return ExitCode.ok;
  },
};
