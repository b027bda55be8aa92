/**
 * PluginClient: go-plugin's Client for Node. Launches a plugin in any
 * language (or reattaches to one), connects over gRPC with AutoMTLS, and
 * hands out typed clients for its services. kill() stops it the way go-plugin
 * does: Shutdown, a grace period, then SIGKILL (of the whole process group).
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import { tmpdir } from 'node:os';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import type { DescService } from '@bufbuild/protobuf';

import type { BrokerTransport, GRPCBroker } from '../protocol/broker.js';
import { dialTarget, socketConnector } from '../protocol/dial.js';
import { Channel } from '../protocol/grpc/channel.js';
import type { Connector } from '../protocol/grpc/channel.js';
import { GRPCController, Health, ServingStatus } from '../protocol/builtins.js';
import { HEALTH_SERVICE_NAME } from '../protocol/env.js';
import { GoPluginError, messageOf } from '../protocol/errors.js';
import type { Network } from '../protocol/handshake.js';
import { bindNetServer, removeStaleSocket } from '../protocol/listener.js';
import { silentLogger } from '../protocol/logger.js';
import type { Logger } from '../protocol/logger.js';
import { createClient } from '../protocol/rpc-client.js';
import type { ClientGuard } from '../protocol/rpc-client.js';
import { RpcError, Status } from '../protocol/rpc-error.js';
import type { CallOptions, Client } from '../protocol/rpc-types.js';
import { mtlsClientOptions, mtlsServerOptions, startClientTls } from '../protocol/tls.js';
import type { KeyPair } from '../protocol/tls.js';
import { connect } from './connect.js';
import { connectRaw } from './raw-connect.js';
import { GrpcMux } from '../protocol/mux.js';
import { YamuxSession } from '../protocol/yamux/index.js';
import type { Connection } from './connect.js';
import { makeCertificateAhead } from './certificate-supply.js';
import { launch } from './launch.js';
import type { Launched } from './launch.js';
import { registerManaged, unregisterManaged } from './managed.js';
import type { ManagedClient } from './managed.js';
import { unmarkOwner } from './ownership.js';
import { resolveOptions } from './options.js';
import type { PluginClientOptions, ReattachConfig, ResolvedOptions } from './options.js';
import type { ExitInfo, PluginProcess } from './process.js';
import { coOwn, probeReattach, waitGone, watchPid } from './reattach.js';
import { removeTree, removeTreeAsync } from '../protocol/remove-tree.js';

type State = 'new' | 'starting' | 'running' | 'exited';

interface Tls {
  hostCertPem: string;
  hostKeyPem: string;
  pluginCertDer: Uint8Array;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export interface PluginClientEvents {
  exited: [ExitInfo];
}

export class PluginClient extends EventEmitter<PluginClientEvents> {
  private readonly options: ResolvedOptions;
  private readonly logger: Logger;
  private state: State = 'new';
  private starting: Promise<void> | undefined;
  private killing: Promise<ExitInfo | undefined> | undefined;
  private launched: Launched | undefined;
  /** Known from spawn on, so that a failed start still reports its pid and exit. */
  private proc: PluginProcess | undefined;
  private socketDir: string | undefined;
  private filesRemoved: Promise<void> | undefined;
  /** Our co-ownership mark in a reattached plugin's socket directory. */
  private coOwnerMark: string | undefined;
  private disconnected = false;
  private connection: Connection | undefined;
  private mux: GrpcMux | undefined;
  private tls: Tls | undefined;
  private address: { network: Network; address: string } | undefined;
  private version = 0;
  private readonly lifetime = new AbortController();
  private exitInfo: ExitInfo | undefined;
  private resolveExited: (e: ExitInfo) => void = () => {};
  private stopWatchingPid: (() => void) | undefined;
  private readonly clients = new WeakMap<DescService, Client<DescService>>();
  /**
   * Resolves when the plugin process has exited (or, for a reattached plugin,
   * is gone) and its socket directory is removed. The `exited` event comes
   * first, as soon as the process is gone.
   */
  readonly exited: Promise<ExitInfo>;

  constructor(options: PluginClientOptions) {
    super();
    this.options = resolveOptions(options);
    this.logger = options.logger ?? silentLogger;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    // Every call in flight listens on the lifetime signal: many at once is normal, not a leak.
    setMaxListeners(0, this.lifetime.signal);
    this.managedHandle = {
      kill: () => this.kill(),
      killGraceMs: this.options.killGraceMs,
      /** At host exit: SIGKILL and remove our files now, there is no later. */
      forceKillNow: () => {
        if (this.proc && !this.proc.hasExited()) this.proc.signalGroup('SIGKILL');
        this.removeFiles();
      },
    };
    if (this.options.managed) {
      registerManaged(this.managedHandle);
    }
  }

  private readonly managedHandle: ManagedClient;

  /** Starts (or reattaches to) the plugin and connects. Idempotent; a failed start is not retried. */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.state = 'starting';
    try {
      if (this.options.reattach) await this.startReattached(this.options.reattach);
      else {
        await this.startLaunched();
        // The next start's certificate, made now that this one no longer needs the CPU.
        if (this.options.autoMTLS) makeCertificateAhead(this.options.certificateCurve);
      }
      this.state = 'running';
    } catch (err) {
      const proc = this.proc;
      if (proc && !proc.hasExited()) proc.signalGroup('SIGKILL');
      this.onGone(proc ? await proc.exited : { code: null, signal: null });
      throw err;
    }
  }

  private async startLaunched(): Promise<void> {
    const launched = await launch(this.options, this.logger, (proc, socketDir) => {
      this.proc = proc;
      this.socketDir = socketDir;
      // kill() came while the executable was being checked or spawned.
      if (this.killing) proc.signalGroup('SIGKILL');
    });
    this.launched = launched;
    const { proc, handshake, certificate } = launched;
    void proc.exited.then((exit) => this.onGone(exit));
    this.version = handshake.appVersion;
    this.address = { network: handshake.network, address: handshake.address };
    if (certificate && handshake.certificate) {
      this.tls = {
        hostCertPem: certificate.pem,
        hostKeyPem: certificate.privateKeyPem,
        pluginCertDer: handshake.certificate,
      };
    }
    let connector: Connector;
    try {
      if (handshake.multiplex) {
        const socket = await connectRaw(handshake.network, handshake.address);
        this.mux = new GrpcMux({
          session: new YamuxSession(socket, { client: true }),
          logger: this.logger.named('mux'),
        });
        const raw = this.mux.mainConnector();
        const tls = this.clientTls();
        connector = tls ? () => startClientTls(raw() as Duplex, tls) : raw;
      } else {
        connector = socketConnector(dialTarget(handshake.network, handshake.address), this.clientTls());
      }
    } catch (err) {
      await this.kill();
      throw new GoPluginError('CONNECT_FAILED', `error connecting to the plugin: ${messageOf(err)}`, {
        fix: 'The plugin announced an address nothing accepts connections on.',
        cause: err,
      });
    }
    try {
      this.connection = await connect({
        channel: this.channel(connector),
        deadline: launched.deadline,
        logger: this.logger,
        stdout: this.options.stdout,
        stderr: this.options.stderr,
        brokerTransport: this.brokerTransport(),
        lifetime: this.lifetime.signal,
      });
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  private async startReattached(config: ReattachConfig): Promise<void> {
    await probeReattach(config);
    this.version = config.protocolVersion;
    this.address = config.addr;
    this.tls = config.tls;
    if (config.pid > 0)
      this.stopWatchingPid = watchPid(config.pid, () => this.onGone({ code: null, signal: null }));
    this.coOwnerMark = coOwn(config);
    this.connection = await connect({
      channel: this.channel(
        socketConnector(dialTarget(config.addr.network, config.addr.address), this.clientTls()),
      ),
      deadline: Date.now() + this.options.startTimeoutMs,
      logger: this.logger,
      brokerTransport: this.brokerTransport(),
      lifetime: this.lifetime.signal,
    });
  }

  private channel(connect: Connector): Channel {
    return new Channel({
      connect,
      secure: this.tls !== undefined,
      // Our own HTTP/2 client (protocol/h2): 2-4x less CPU per call than node:http2, and every call,
      // streams included, on one connection as go-plugin's host has (bench/findings.md §18, §19).
      transport: 'h2',
      maxReceiveMessageBytes: this.options.maxReceiveMessageBytes,
      maxSendMessageBytes: this.options.maxSendMessageBytes,
    });
  }

  private ownKeyPair(): KeyPair | undefined {
    return this.tls && { pem: this.tls.hostCertPem, privateKeyPem: this.tls.hostKeyPem };
  }

  /** TLS for dialing the plugin: our certificate, and only the plugin's announced one trusted. */
  private clientTls(): ConnectionOptions | undefined {
    const own = this.ownKeyPair();
    return own && mtlsClientOptions(own, this.tls!.pluginCertDer);
  }

  private brokerTransport(): BrokerTransport {
    const own = this.ownKeyPair();
    const socketDir = this.launched?.socketDir;
    return {
      serverTls: own && mtlsServerOptions(own, this.tls!.pluginCertDer),
      clientTls: this.clientTls(),
      mux: this.mux,
      listen: (server) =>
        bindNetServer(server.listener, {
          network: process.platform === 'win32' ? 'tcp' : 'unix',
          socketDir: socketDir ?? tmpdir(),
          useDirAsIs: socketDir !== undefined,
          minPort: 0,
          maxPort: 0,
        }),
    };
  }

  /** Removes the socket directory (and a socket the plugin left outside it); drops a co-ownership mark. */
  private removeFiles(): void {
    if (this.socketDir) removeTree(this.socketDir);
    this.removeOtherFiles();
  }

  private removeOtherFiles(): void {
    // A plugin killed before it could clean up leaves its socket behind.
    const socket = this.address?.network === 'unix' ? this.address.address : undefined;
    if (this.launched && socket && !(this.socketDir && socket.startsWith(`${this.socketDir}/`)))
      removeStaleSocket(socket);
    if (this.coOwnerMark) unmarkOwner(this.coOwnerMark);
  }

  /** removeFiles, with the socket directory removed off the event loop; once. */
  private removeFilesLater(): Promise<void> {
    this.filesRemoved ??= (async () => {
      try {
        if (this.socketDir) await removeTreeAsync(this.socketDir);
        this.removeOtherFiles();
      } catch (err) {
        this.logger.warn('could not remove the plugin socket directory', {
          dir: this.socketDir,
          error: messageOf(err),
        });
      }
    })();
    return this.filesRemoved;
  }

  /** This client is done with the plugin: fail calls, release resources. */
  private release(): void {
    this.state = 'exited';
    // The connection first: its streams (stdio, broker, calls in flight) end with it, so the abort
    // below need not reset each one on a dead socket (100 plugins killed at once: ~45 ms of
    // AbortErrors with stack traces). Calls still fail in the lifetime's terms (`plugin is not running`).
    // After an exit it is abandoned: a GOAWAY and TLS's close_notify would go into a socket nobody reads.
    this.connection?.close(this.exitInfo !== undefined);
    void this.mux?.close();
    this.lifetime.abort();
    this.stopWatchingPid?.();
    // During kill() (the plugin usually exits on Shutdown, before kill() gets to its files) off the
    // event loop: kill() waits for that. Otherwise (the plugin exited by itself, a disconnect) now, so
    // that a host exiting right after finds nothing left.
    if (!this.filesRemoved) {
      if (this.killing) void this.removeFilesLater();
      else {
        this.removeFiles();
        this.filesRemoved = Promise.resolve();
      }
    }
    if (this.options.managed) unregisterManaged(this.managedHandle);
  }

  /** The plugin process (or reattached one) is gone. */
  private onGone(exit: ExitInfo): void {
    if (this.exitInfo || this.disconnected) return;
    this.exitInfo = exit;
    this.release();
    this.logger.debug('plugin process exited', { code: exit.code, signal: exit.signal });
    // The event at once (a supervisor restarts without waiting on the file system); the
    // `exited` promise once the files are gone too, so that nothing is left when it resolves.
    this.emit('exited', exit);
    void this.removeFilesLater().then(() => this.resolveExited(exit));
  }

  private guard(): ClientGuard {
    return {
      signal: this.lifetime.signal,
      error: () => {
        if (this.disconnected) return new RpcError(Status.UNAVAILABLE, 'plugin client disconnected');
        const e = this.exitInfo;
        const how = e?.signal
          ? `killed by ${e.signal}`
          : e?.code !== null && e?.code !== undefined
            ? `exited with code ${e.code}`
            : 'stopped';
        return new RpcError(Status.UNAVAILABLE, `plugin is not running (${how})`);
      },
    };
  }

  /** The connection of a started client (it may since have exited; calls then reject). */
  private requireConnection(): Connection {
    if (!this.connection) {
      throw new GoPluginError('CLIENT_STATE', 'the plugin client is not started', {
        fix: 'Await start() first.',
      });
    }
    return this.connection;
  }

  /**
   * A typed client for one of the plugin's services (go-plugin's Dispense).
   * Once the plugin has exited, its calls reject with Unavailable
   * (`plugin is not running (...)`).
   */
  client<S extends DescService>(svc: S): Client<S> {
    const channel = this.requireConnection().channel;
    // One typed client per service: callers often ask for it on every call.
    let made = this.clients.get(svc);
    if (!made) {
      const observer = this.options.callObserver;
      made = createClient(svc, channel, this.guard(), observer && { observer });
      this.clients.set(svc, made);
    }
    return made as Client<S>;
  }

  /** The host side of the plugin's broker (serve callbacks, dial brokered servers). */
  get broker(): GRPCBroker {
    return this.requireConnection().broker;
  }

  /** Health check of "plugin", like go-plugin's ClientProtocol.Ping. */
  async ping(options?: CallOptions): Promise<void> {
    const res = await this.client(Health).check({ service: HEALTH_SERVICE_NAME }, options);
    if (res.status !== ServingStatus.SERVING)
      throw new RpcError(Status.UNAVAILABLE, `plugin status ${ServingStatus[res.status]}`);
  }

  get negotiatedVersion(): number {
    return this.version;
  }

  get protocol(): 'grpc' {
    return 'grpc';
  }

  get pid(): number {
    return this.proc?.pid ?? this.options.reattach?.pid ?? 0;
  }

  /** True once the plugin has exited (or been killed). */
  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** What another PluginClient needs to reattach to this plugin (TLS material in memory only). */
  reattachConfig(): ReattachConfig {
    if (!this.address)
      throw new GoPluginError('CLIENT_STATE', 'the plugin client is not started', {
        fix: 'Await start() first.',
      });
    return {
      protocol: 'grpc',
      protocolVersion: this.version,
      addr: { ...this.address },
      pid: this.pid,
      ...(this.options.reattach?.test ? { test: true } : {}),
      ...(this.tls ? { tls: this.tls } : {}),
    };
  }

  /**
   * Stops the plugin: Shutdown (bounded), wait the grace period, then SIGKILL
   * its process group. Idempotent; resolves once the process has exited. A
   * reattached plugin is only asked to shut down, never signalled; one in
   * test mode (`reattach.test`) is only disconnected from.
   */
  kill(): Promise<ExitInfo | undefined> {
    this.killing ??= this.doKill();
    return this.killing;
  }

  private async doKill(): Promise<ExitInfo | undefined> {
    const grace = this.options.killGraceMs;
    const proc = this.proc;
    if (this.options.reattach?.test) {
      // A test-mode plugin is stopped by whoever runs it, never by a client.
      if (!this.exitInfo) this.disconnect();
      return this.exitInfo;
    }
    if (this.connection && !this.exitInfo && !this.disconnected) {
      await this.connection.broker.close();
      const stop = new AbortController();
      const shutdown = createClient(GRPCController, this.connection.channel)
        .shutdown({}, { deadline: Math.min(grace, 2000), signal: stop.signal })
        // Go plugins exit before answering: UNAVAILABLE here means it worked.
        .catch(() => {});
      // A call sent while the plugin is going away can hang until its deadline;
      // once the process has exited there is nothing left to wait for.
      await Promise.race([shutdown, this.exited]);
      // Gone already: closing the connection ends the call; no reset needed.
      if (!this.exitInfo) stop.abort();
      this.connection.close();
    }
    if (!proc) {
      if (this.options.reattach) return this.endReattached(grace);
      this.onGone({ code: null, signal: null }); // not spawned yet: start() will fail
      return this.exitInfo;
    }
    // Without a connection there was no Shutdown to wait for (a failed start): kill at once.
    const asked = this.connection !== undefined;
    const exitedInTime =
      asked && (await Promise.race([proc.exited.then(() => true), sleep(grace).then(() => false)]));
    if (!exitedInTime) {
      if (asked) this.logger.warn('plugin failed to exit gracefully');
      proc.signalGroup('SIGKILL');
    }
    const exit = await proc.exited;
    // Children the plugin left in its group go too.
    proc.signalGroup('SIGKILL');
    await Promise.race([proc.closed, sleep(2000)]);
    const removed = this.removeFilesLater();
    this.onGone(exit);
    await removed;
    return exit;
  }

  /**
   * After Shutdown to a reattached plugin: wait (holding the event loop) for
   * its pid to go. Gone, or pid unknown: it exited as far as we can tell.
   * Still there after the grace period: we only disconnect, never signal it.
   */
  private async endReattached(grace: number): Promise<ExitInfo | undefined> {
    const pid = this.options.reattach?.pid ?? 0;
    if (!this.exitInfo && !this.disconnected && pid > 0 && !(await waitGone(pid, grace))) {
      this.logger.warn('reattached plugin still running after Shutdown; disconnecting', { pid });
      this.disconnect();
      return undefined;
    }
    this.onGone(this.exitInfo ?? { code: null, signal: null });
    return this.exitInfo;
  }

  /**
   * Drops the connection without stopping the plugin (for reattached
   * plugins). The plugin keeps running, so `exited` does not resolve and the
   * `exited` event does not fire; calls reject with Unavailable.
   */
  disconnect(): void {
    if (this.proc && !this.exitInfo) {
      throw new GoPluginError('CLIENT_STATE', 'disconnect() would orphan a plugin this client started', {
        fix: 'Use kill().',
      });
    }
    if (this.exitInfo || this.disconnected) return;
    this.disconnected = true;
    this.release();
    this.logger.debug('disconnected from the plugin; it keeps running', { pid: this.pid });
  }
}
