/**
 * gRPC over one yamux session, as go-plugin >= 1.6 does when the host sets
 * PLUGIN_MULTIPLEX_GRPC: the host's main gRPC connection is the first stream
 * it opens; each brokered connection is a new stream opened right after a
 * knock/ack on the broker stream. TLS runs per stream, on top. Our gRPC
 * server takes streams as connections and our channels dial streams
 * directly: no local sockets in between.
 */
import type { Duplex } from 'node:stream';

import type { BrokerMux } from './broker.js';
import type { Connector } from './grpc/channel.js';
import type { GrpcServer } from './grpc/server.js';
import type { Logger } from './logger.js';
import type { YamuxSession } from './yamux/index.js';

export interface GrpcMuxOptions {
  session: YamuxSession;
  logger: Logger;
}

export class GrpcMux implements BrokerMux {
  private readonly session: YamuxSession;
  private readonly servers = new Map<number, GrpcServer>();
  /** Ids knocked for, in order: the next incoming streams belong to them. */
  private readonly knocked: number[] = [];
  private mainServer: GrpcServer | undefined;
  private closed = false;

  constructor(private readonly options: GrpcMuxOptions) {
    this.session = options.session;
    void this.acceptLoop();
  }

  /** Incoming streams go to the server whose id was knocked for, else to the main server. */
  private async acceptLoop(): Promise<void> {
    for (;;) {
      let stream: Duplex;
      try {
        stream = await this.session.accept();
      } catch {
        return; // session over
      }
      const id = this.knocked.shift();
      const server = id === undefined ? this.mainServer : this.servers.get(id);
      if (!server) {
        this.options.logger.debug('no server for an incoming multiplexed stream; resetting it', { id });
        stream.destroy();
        continue;
      }
      server.acceptConnection(stream);
    }
  }

  /** Plugin side: streams nobody knocked for are the host's main gRPC connections. */
  serveMain(server: GrpcServer): void {
    this.mainServer = server;
  }

  async expect(id: number, server: GrpcServer): Promise<{ close(): void }> {
    this.servers.set(id, server);
    return { close: () => this.servers.delete(id) };
  }

  acceptKnock(id: number): string {
    if (!this.servers.has(id)) return `no listener for id ${id}`;
    this.knocked.push(id);
    return '';
  }

  /** Per connection: knock for `id`, then open a stream for it. */
  dialer(_id: number, knock: () => Promise<void>): Connector {
    return async () => {
      await knock();
      return this.session.open();
    };
  }

  /** Host side: the main gRPC connection is a plain new stream, no knock. */
  mainConnector(): Connector {
    return () => this.session.open();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.servers.clear();
    await this.session.close().catch(() => {});
  }
}
