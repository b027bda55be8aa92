/**
 * serve(): run this process as a go-plugin plugin. Step by step as go-plugin's
 * Serve does it: magic cookie, version negotiation, listener, AutoMTLS,
 * built-in services, handshake line, stdio capture; then serve until the host
 * calls GRPCController.Shutdown, sends SIGTERM, or goes away.
 */
import { createServer } from 'node:net';
import type { Server as NetServer } from 'node:net';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { startupSnapshot } from 'node:v8';

import { GRPCBroker } from '../protocol/broker.js';
import type { BrokerMux, BrokerTransport } from '../protocol/broker.js';
import {
  DEFAULT_CERTIFICATE_CURVE,
  generateCertificate,
  generateKeyPairAsync,
  parseCertificate,
} from '../protocol/certificate.js';
import type { CertificateCurve, EcKeyPair } from '../protocol/certificate.js';
import { Env, SERVER_STOP_GRACE_MS } from '../protocol/env.js';
import type { HandshakeConfig } from '../protocol/env.js';
import { GoPluginError, isGoPluginError } from '../protocol/errors.js';
import { formatHandshake } from '../protocol/handshake.js';
import type { Network } from '../protocol/handshake.js';
import type { LogLevel } from '../protocol/hclog.js';
import { bindNetServer, listenerConfigFromEnv } from '../protocol/listener.js';
import { goParseBool } from '../protocol/gostrconv.js';
import type { GrpcMux } from '../protocol/mux.js';
import type { BoundListener } from '../protocol/listener.js';
import { createHclogLogger } from '../protocol/logger.js';
import type { Logger } from '../protocol/logger.js';
import { negotiateVersion } from '../protocol/negotiate.js';
import { addServices } from '../protocol/rpc-server.js';
import type { ServiceRegistration } from '../protocol/rpc-types.js';
import { mtlsClientOptions, mtlsServerOptions } from '../protocol/tls.js';
import { GrpcServer } from '../protocol/grpc/server.js';
import type { Connector } from '../protocol/grpc/channel.js';
import { checkCookie, COOKIE_MISMATCH_TEXT, COOKIE_NOT_CONFIGURED_TEXT } from './cookie.js';
import { healthService, HealthStatuses } from './health.js';
import { brokerService, controllerService } from './internal-services.js';
import { watchHost } from './lifecycle.js';
import { StdioCapture, stdioService, writeRealStderr, writeRealStdout } from './stdio.js';

/** What a service factory gets: the broker for callbacks, and the plugin's logger. */
export interface ServiceContext {
  broker: GRPCBroker;
  logger: Logger;
  /** The negotiated app protocol version. */
  version: number;
}

export type Services =
  readonly ServiceRegistration[] | ((ctx: ServiceContext) => readonly ServiceRegistration[]);

export interface ServeOptions {
  /** Protocol version and magic cookie; must match the host's. */
  handshake: HandshakeConfig;
  /** Services served for `handshake.protocolVersion`. */
  services?: Services;
  /** Services per app protocol version, for plugins speaking several (the highest shared one wins). */
  versionedServices?: Readonly<Record<number, Services>>;
  /** Default: hclog JSON on the real stderr, where go-plugin hosts read logs. */
  logger?: Logger;
  /** Level of the default logger. Default `trace`, as Go plugins; the host filters. */
  logLevel?: LogLevel;
  /** Default `unix` (`tcp` on Windows); TCP binds 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT. */
  network?: Network;
  /** AutoMTLS key curve. Default P-256 (go-plugin's plugins use P-521, which costs OpenSSL ~5 ms more at start-up and per TLS handshake). */
  certificateCurve?: CertificateCurve;
  /** Exit the process once stopped (as a Go plugin's main returns). Default true. */
  exitOnStop?: boolean;
  /** Stop when the host process goes away (parent pid changes). Poll interval ms; 0 disables. Default 1000. */
  watchHostMs?: number;
  /**
   * Stop when no host connection has been open for this long (ms), however
   * the plugin was launched (through `sh -c`, say, where the parent pid tells
   * nothing). Counted from the handshake. 0 disables (a plugin meant to wait
   * for a reattaching host). Default 10000.
   */
  hostConnectionGraceMs?: number;
  /** Largest request message accepted. Default 4 MiB (grpc-go's server default). */
  maxReceiveMessageBytes?: number;
  /** Environment to read (tests). Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface PluginServer {
  readonly version: number;
  readonly network: Network;
  readonly address: string;
  /** Whether the host's connection is mutual TLS. */
  readonly tls: boolean;
  readonly broker: GRPCBroker;
  readonly logger: Logger;
  /** Resolves once stopped and cleaned up. */
  readonly done: Promise<void>;
  /** Stops serving (idempotent). */
  stop(reason?: string): Promise<void>;
}

function serviceSets(options: ServeOptions): Map<number, Services> {
  const sets = new Map<number, Services>();
  for (const [v, s] of Object.entries(options.versionedServices ?? {})) sets.set(Number(v), s);
  if (options.services) sets.set(options.handshake.protocolVersion, options.services);
  if (sets.size === 0) {
    throw new GoPluginError('INVALID_OPTIONS', 'serve() needs services or versionedServices', {
      fix: 'Pass the application services, e.g. services: [service(MyService, impl)].',
    });
  }
  return sets;
}

async function exitWith(code: number, text?: string): Promise<never> {
  if (text) await new Promise<void>((resolve) => process.stderr.write(text, () => resolve()));
  process.exit(code);
}

interface Security {
  server: TlsOptions | undefined;
  client: ConnectionOptions | undefined;
  certificateDer?: Buffer;
}

async function setUpSecurity(env: NodeJS.ProcessEnv, curve: CertificateCurve | undefined): Promise<Security> {
  const hostPem = env[Env.clientCert] ?? '';
  const early = takeEarlyKeyPair();
  if (hostPem === '') return { server: undefined, client: undefined };
  const hostCert = parseCertificate(hostPem, 'PLUGIN_CLIENT_CERT');
  const own = await generateCertificate({
    curve,
    ...((curve ?? DEFAULT_CERTIFICATE_CURVE) === DEFAULT_CERTIFICATE_CURVE && early
      ? { keyPair: early }
      : {}),
  });
  return {
    server: mtlsServerOptions(own, hostCert.raw),
    client: mtlsClientOptions(own, hostCert.raw),
    certificateDer: own.der,
  };
}

/**
 * Serves the plugin. Resolves once the handshake is printed and the host can
 * connect. With the default `exitOnStop`, a cookie mismatch or a start-up
 * failure exits the process (status 1) after saying why on stderr.
 */
/** PLUGIN_MULTIPLEX_GRPC as go-plugin reads it (strconv.ParseBool; anything else is off). */
function muxRequested(value: string | undefined): boolean {
  try {
    return value !== undefined && value !== '' && goParseBool(value);
  } catch {
    return false;
  }
}

/**
 * The broker's multiplexing hooks, usable before the host has connected (the
 * yamux session only exists once it has).
 */
class MuxLink implements BrokerMux {
  current: GrpcMux | undefined;
  private readonly waiters: ((mux: GrpcMux) => void)[] = [];

  connect(mux: GrpcMux): void {
    this.current = mux;
    for (const w of this.waiters.splice(0)) w(mux);
  }

  private ready(): Promise<GrpcMux> {
    return this.current
      ? Promise.resolve(this.current)
      : new Promise((resolve) => this.waiters.push(resolve));
  }

  async expect(id: number, server: GrpcServer): Promise<{ close(): void }> {
    return (await this.ready()).expect(id, server);
  }

  acceptKnock(id: number): string {
    return this.current ? this.current.acceptKnock(id) : 'not connected';
  }

  dialer(id: number, knock: () => Promise<void>): Connector {
    return async () => (await this.ready()).dialer(id, knock)();
  }
}

/**
 * An AutoMTLS plugin's key pair on the default curve, started on the thread pool when this module loads, so
 * that it is made while the rest of the program loads rather than after serve() is called. Held in memory
 * only, taken once; never in a process building a startup snapshot (a key must not end up in an executable).
 */
let earlyKeyPair: Promise<EcKeyPair> | undefined =
  process.env[Env.clientCert] && !snapshotBuilder()
    ? generateKeyPairAsync(DEFAULT_CERTIFICATE_CURVE)
    : undefined;
earlyKeyPair?.catch(() => {}); // a failure is reported by the start that uses it

function takeEarlyKeyPair(): Promise<EcKeyPair> | undefined {
  const p = earlyKeyPair;
  earlyKeyPair = undefined;
  return p;
}

/** The V8 startup-snapshot API when this process is building one (`qplugin pack --sea --snapshot`). */
function snapshotBuilder(): typeof startupSnapshot | undefined {
  // Only a process started to build a snapshot can be building one; checking that
  // first spares every plugin start loading node:v8 (2-6 ms).
  const building = process.execArgv.some(
    (a) => a === '--build-snapshot' || a.startsWith('--experimental-sea-config'),
  );
  if (!building || typeof process.getBuiltinModule !== 'function') return undefined;
  const v8 = process.getBuiltinModule('node:v8');
  return v8.startupSnapshot?.isBuildingSnapshot() ? v8.startupSnapshot : undefined;
}

export async function serve(options: ServeOptions): Promise<PluginServer> {
  const snapshot = snapshotBuilder();
  if (snapshot) {
    // The module code (descriptors, services) is in the snapshot; serving starts
    // when the snapshot runs, with that run's environment, argv and clock.
    return new Promise((resolve, reject) => {
      snapshot.setDeserializeMainFunction(() => serve(options).then(resolve, reject));
    });
  }
  const env = options.env ?? process.env;
  const exitOnStop = options.exitOnStop ?? true;
  const cookie = checkCookie(options.handshake, env);
  if (cookie !== 'ok') {
    const text = cookie === 'mismatch' ? COOKIE_MISMATCH_TEXT : COOKIE_NOT_CONFIGURED_TEXT;
    if (exitOnStop) return exitWith(1, text);
    throw new GoPluginError(
      cookie === 'mismatch' ? 'COOKIE_MISMATCH' : 'COOKIE_NOT_CONFIGURED',
      text.trimEnd(),
      {
        fix: `Start the plugin from its host, which sets ${options.handshake.magicCookieKey || 'the magic cookie variable'}.`,
      },
    );
  }
  const logger = options.logger ?? createHclogLogger(writeRealStderr, { level: options.logLevel ?? 'trace' });
  try {
    return await start(options, env, logger, exitOnStop);
  } catch (err) {
    const text = isGoPluginError(err) ? err.describe() : String(err);
    logger.error('plugin init error', { error: text });
    if (exitOnStop) return exitWith(1);
    throw err;
  }
}

async function start(
  options: ServeOptions,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  exitOnStop: boolean,
): Promise<PluginServer> {
  const negotiation = negotiateVersion(env[Env.protocolVersions], serviceSets(options));
  // go-plugin prints these without a newline; so do we.
  for (const w of negotiation.warnings) writeRealStderr(w);
  if (!negotiation.matched) {
    logger.debug('no protocol version in common with the host; serving the lowest', {
      version: negotiation.version,
    });
  }

  const listenerConfig = listenerConfigFromEnv(env, options.network);
  // The key pair and certificate are made on libuv's thread pool; meanwhile this
  // thread loads what the listener will need, instead of waiting idle: TLS if
  // it is not loaded yet (a startup snapshot cannot hold it), and node:cluster,
  // which net.Server.listen() loads on first use (~2 ms on Node 24).
  const securityReady = setUpSecurity(env, options.certificateCurve);
  if (typeof process.getBuiltinModule === 'function') {
    process.getBuiltinModule('node:tls');
    process.getBuiltinModule('node:cluster');
  }
  const security = await securityReady;
  const multiplex = muxRequested(env[Env.multiplexGRPC]);
  const muxLink = new MuxLink();

  const transport: BrokerTransport = {
    serverTls: security.server,
    clientTls: security.client,
    listen: (server) => bindNetServer(server.listener, listenerConfig),
    mux: multiplex ? muxLink : undefined,
  };
  const broker = new GRPCBroker(transport, logger.named('broker'));
  const health = new HealthStatuses();
  const stdio = new StdioCapture({
    onDrop: (n) => logger.warn('host is not reading plugin stdout/stderr; dropping old output', { bytes: n }),
  });

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop requested'): Promise<void> => (stopping ??= shutdown(reason));

  const appServices = ((): readonly ServiceRegistration[] => {
    const spec = negotiation.set;
    return typeof spec === 'function' ? spec({ broker, logger, version: negotiation.version }) : spec;
  })();

  const server = new GrpcServer({
    tls: security.server,
    maxReceiveMessageBytes: options.maxReceiveMessageBytes,
  });
  addServices(server, [
    healthService(health),
    brokerService(broker),
    controllerService(() => void stop('GRPCController.Shutdown')),
    stdioService(stdio),
    ...appServices,
  ]);

  let bound: BoundListener;
  let netServer: NetServer | undefined;
  if (multiplex) {
    // One raw connection from the host carries a yamux session; gRPC runs per stream.
    // Loaded only here: most hosts never ask for multiplexing (start-up time).
    const [{ GrpcMux }, { YamuxSession }] = await Promise.all([
      import('../protocol/mux.js'),
      import('../protocol/yamux/index.js'),
    ]);
    netServer = createServer((socket) => {
      netServer?.close();
      if (muxLink.current) {
        socket.destroy();
        return;
      }
      const mux = new GrpcMux({
        session: new YamuxSession(socket, { client: false }),
        logger: logger.named('mux'),
      });
      mux.serveMain(server);
      muxLink.connect(mux);
    });
    bound = await bindNetServer(netServer, listenerConfig);
  } else {
    bound = await bindNetServer(server.listener, listenerConfig);
  }
  const removeSocket = (): void => bound.cleanup();
  process.on('exit', removeSocket);
  logger.debug('plugin address', { network: bound.network, address: bound.address });

  const line = formatHandshake({
    appVersion: negotiation.version,
    network: bound.network,
    address: bound.address,
    certificate: security.certificateDer,
    multiplex,
  });
  await writeRealStdout(line + '\n');
  stdio.install();
  const unwatch = watchHost({
    logger,
    stop,
    pollMs: options.watchHostMs ?? 1000,
    server,
    connectionGraceMs: options.hostConnectionGraceMs ?? 10_000,
  });

  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  async function shutdown(reason: string): Promise<void> {
    logger.debug('plugin shutting down', { reason });
    unwatch();
    health.shutdown();
    stdio.end();
    await broker.close();
    netServer?.close();
    // Long-lived calls (stdio, broker, health watch) see their signal abort and
    // end with OK; in-flight calls get a short grace (Go plugins stop at once);
    // a host that keeps a connection open past it is cut off.
    await server.stop(SERVER_STOP_GRACE_MS);
    await muxLink.current?.close();
    removeSocket();
    process.off('exit', removeSocket);
    stdio.uninstall();
    resolveDone();
    if (exitOnStop) await exitWith(0);
  }

  return {
    version: negotiation.version,
    network: bound.network,
    address: bound.address,
    tls: security.certificateDer !== undefined,
    broker,
    logger,
    done,
    stop,
  };
}
