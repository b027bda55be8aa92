/**
 * go-plugin's connection broker, used by both sides: one side serves a gRPC
 * server under a numeric id (acceptAndServe), announces where it listens on
 * the broker stream, and the other side dials that id. Ids count from 1 on
 * each side independently; applications pass them inside their own RPCs.
 *
 * Without multiplexing every brokered server gets its own listener, as in
 * go-plugin. With multiplexing (go-plugin >= 1.6) the connection is a new
 * stream on the main connection, opened after a knock/ack exchange.
 */
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { DescService } from '@bufbuild/protobuf';

import type { ConnInfo, ConnInfoSchema } from './builtins.js';
import { BROKER_WAIT_MS, SERVER_STOP_GRACE_MS } from './env.js';
import { GoPluginError } from './errors.js';
import { dialTarget, socketConnector } from './dial.js';
import { Channel } from './grpc/channel.js';
import type { Connector } from './grpc/channel.js';
import { GrpcServer } from './grpc/server.js';
import type { BoundListener } from './listener.js';
import type { Logger } from './logger.js';
import { startClientTls } from './tls.js';
import { createClient } from './rpc-client.js';
import { addServices } from './rpc-server.js';
import type { Client, ServiceRegistration } from './rpc-types.js';

export type ConnInfoInit = MessageInitShape<typeof ConnInfoSchema>;

/** How brokered connections are secured and placed; supplied by the host or plugin side. */
export interface BrokerTransport {
  /** TLS for servers we broker (mTLS requiring the peer's certificate), or none. */
  serverTls: TlsOptions | undefined;
  /** TLS for dialing the peer's brokered servers, or none. */
  clientTls: ConnectionOptions | undefined;
  /** Binds a brokered server on a fresh listener. */
  listen(server: GrpcServer): Promise<BoundListener>;
  /** Present when the broker is multiplexed over the main connection. */
  mux?: BrokerMux;
}

/** Multiplexed brokering: plumbing supplied by the mux layer. */
export interface BrokerMux {
  /** Routes the next stream the peer opens for `id` to `server` (after our ack). */
  expect(id: number, server: GrpcServer): Promise<{ close(): void }>;
  /** Called when the peer knocks for `id`; returns an error text or '' to accept. */
  acceptKnock(id: number): string;
  /** A connector that, per connection, knocks for `id` and opens a stream. */
  dialer(id: number, knock: () => Promise<void>): Connector;
}

/** A brokered server we run; stops with the broker or when closed. */
export interface BrokeredServer {
  readonly id: number;
  close(): Promise<void>;
}

/** A connection to a server the peer brokered. */
export interface BrokeredConnection {
  readonly id: number;
  client<S extends DescService>(svc: S): Client<S>;
  close(): void;
}

interface Pending {
  info: ConnInfo;
  timer: NodeJS.Timeout;
}

export class GRPCBroker {
  private nextIdValue = 0;
  private sendFn: ((info: ConnInfoInit) => Promise<void>) | undefined;
  private readonly streamWaiters: (() => void)[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly dialWaiters = new Map<number, (info: ConnInfo) => void>();
  private readonly ackWaiters = new Map<number, (info: ConnInfo) => void>();
  private readonly closers = new Set<() => Promise<void> | void>();
  private closedFlag = false;
  private readonly closeController = new AbortController();
  /** go-plugin dials multiplexed ids one at a time. */
  private dialChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly transport: BrokerTransport,
    private readonly logger: Logger,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  /** A unique id for the next brokered server. */
  nextId(): number {
    this.nextIdValue = (this.nextIdValue + 1) >>> 0;
    return this.nextIdValue;
  }

  /** Connects the broker to its stream (StartStream). A later stream replaces an earlier one. */
  attach(send: (info: ConnInfoInit) => Promise<void>): void {
    this.sendFn = send;
    for (const wake of this.streamWaiters.splice(0)) wake();
  }

  /** Feeds one ConnInfo received on the stream. */
  receive(info: ConnInfo): void {
    const knock = info.knock;
    if (knock?.knock && !knock.ack) {
      void this.answerKnock(info.serviceId);
      return;
    }
    if (knock?.knock && knock.ack) {
      this.ackWaiters.get(info.serviceId)?.(info);
      return;
    }
    const waiter = this.dialWaiters.get(info.serviceId);
    if (waiter) {
      waiter(info);
      return;
    }
    if (this.pending.has(info.serviceId)) return; // one slot per id; extras dropped
    const timer = setTimeout(() => this.pending.delete(info.serviceId), BROKER_WAIT_MS);
    timer.unref();
    this.pending.set(info.serviceId, { info, timer });
  }

  private closedError(): GoPluginError {
    return new GoPluginError('BROKER_CLOSED', 'broker closed', {
      fix: 'The plugin connection is shutting down; brokered calls are no longer possible.',
    });
  }

  private async send(info: ConnInfoInit): Promise<void> {
    while (!this.sendFn) {
      if (this.closedFlag) throw this.closedError();
      await new Promise<void>((resolve) => {
        this.streamWaiters.push(resolve);
        this.closeController.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    if (this.closedFlag) throw this.closedError();
    await this.sendFn(info);
  }

  private async answerKnock(id: number): Promise<void> {
    const error = this.transport.mux ? this.transport.mux.acceptKnock(id) : 'multiplexing is not enabled';
    try {
      await this.send({ serviceId: id, knock: { knock: true, ack: true, error } });
    } catch (err) {
      this.logger.debug('error sending back knock acknowledgement', { id, error: err });
    }
  }

  /** Serves `services` under `id` until the broker closes or the returned server is closed. */
  async acceptAndServe(id: number, services: readonly ServiceRegistration[]): Promise<BrokeredServer> {
    if (this.closedFlag) throw this.closedError();
    const server = new GrpcServer({ tls: this.transport.serverTls });
    addServices(server, services);
    let release: () => void;
    if (this.transport.mux) {
      const route = await this.transport.mux.expect(id, server);
      release = () => route.close();
    } else {
      const bound = await this.transport.listen(server);
      release = () => bound.cleanup();
      try {
        await this.send({ serviceId: id, network: bound.network, address: bound.address });
      } catch (err) {
        await server.stop(0);
        bound.cleanup();
        throw err;
      }
    }
    let stopped: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (stopped ??= (async () => {
        this.closers.delete(close);
        await server.stop(SERVER_STOP_GRACE_MS);
        release();
      })());
    this.closers.add(close);
    this.logger.debug('serving brokered connection', { id });
    return { id, close };
  }

  private waitFor(
    map: Map<number, (info: ConnInfo) => void>,
    id: number,
    timeoutText: string,
  ): Promise<ConnInfo> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        map.delete(id);
        this.closeController.signal.removeEventListener('abort', onClose);
      };
      const onClose = (): void => {
        done();
        reject(this.closedError());
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new GoPluginError('BROKER_TIMEOUT', timeoutText, {
            fix: `The other side never announced brokered id ${id}: it must call acceptAndServe with the same id before (or right after) it asks us to dial.`,
            details: { id },
          }),
        );
      }, BROKER_WAIT_MS);
      map.set(id, (info) => {
        done();
        resolve(info);
      });
      this.closeController.signal.addEventListener('abort', onClose, { once: true });
    });
  }

  private async knock(id: number): Promise<void> {
    const ack = this.waitFor(
      this.ackWaiters,
      id,
      `timeout waiting for multiplexing knock handshake on id ${id}`,
    );
    ack.catch(() => {});
    await this.send({ serviceId: id, knock: { knock: true } });
    const info = await ack;
    if (info.knock?.error) {
      throw new GoPluginError('BROKER_KNOCK', `failed to knock for id ${id}: ${info.knock.error}`, {
        fix: 'The other side has no brokered server under this id.',
        details: { id },
      });
    }
  }

  /** Connects to the server the peer brokered under `id`. */
  async dial(id: number): Promise<BrokeredConnection> {
    if (this.closedFlag) throw this.closedError();
    const tls = this.transport.clientTls;
    let connect: Connector;
    if (this.transport.mux) {
      const knockSerially = (): Promise<void> => {
        const next = this.dialChain.then(() => this.knock(id));
        this.dialChain = next.catch(() => {});
        return next;
      };
      const raw = this.transport.mux.dialer(id, knockSerially);
      connect = tls ? async () => startClientTls(await raw(), tls) : raw;
    } else {
      const queued = this.pending.get(id);
      let info: ConnInfo;
      if (queued) {
        clearTimeout(queued.timer);
        this.pending.delete(id);
        info = queued.info;
      } else {
        info = await this.waitFor(this.dialWaiters, id, 'timeout waiting for connection info');
      }
      connect = socketConnector(dialTarget(info.network, info.address), tls);
    }
    const channel = new Channel({ connect, secure: tls !== undefined, transport: 'h2' });
    const close = (): void => {
      this.closers.delete(close);
      channel.close();
    };
    this.closers.add(close);
    return { id, client: (svc) => createClient(svc, channel), close };
  }

  /** Stops brokered servers and connections; pending operations fail with BROKER_CLOSED. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.closeController.abort();
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await Promise.all([...this.closers].map((c) => c()));
  }
}
