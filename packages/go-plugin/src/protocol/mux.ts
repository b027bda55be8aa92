/**
 * gRPC over one yamux session, as go-plugin >= 1.6 does when the host sets
 * PLUGIN_MULTIPLEX_GRPC: the host's main gRPC connection is the first stream
 * it opens; each brokered connection is a new stream opened right after a
 * knock/ack on the broker stream. TLS runs per stream, on top.
 *
 * grpc-js servers take streams through a connection injector. grpc-js
 * clients cannot dial a stream, so each target we dial is a private unix
 * socket whose every connection becomes a new yamux stream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Server, ServerCredentials } from '@grpc/grpc-js';

import type { BrokerMux } from './broker.js';
import type { Logger } from './logger.js';
import type { YamuxSession } from './yamux/index.js';

interface Injector {
  injectConnection(connection: Duplex): void;
  destroy(): void;
}

/** Pipes a local connection into a yamux stream, both ways; either end closing closes both. */
function splice(socket: Socket, stream: Duplex): void {
  socket.pipe(stream);
  stream.pipe(socket);
  const close = (): void => {
    socket.destroy();
    stream.destroy();
  };
  socket.once('error', close);
  stream.once('error', close);
  socket.once('close', close);
  stream.once('close', close);
}

export interface GrpcMuxOptions {
  session: YamuxSession;
  /** Credentials for servers reached through the session (brokered and, on the plugin, main). */
  serverCredentials: () => ServerCredentials;
  /** Where to put the local dial sockets (a private directory is made inside). */
  socketDir: string;
  logger: Logger;
}

export class GrpcMux implements BrokerMux {
  private readonly session: YamuxSession;
  private readonly injectors = new Map<number, Injector>();
  /** Ids knocked for, in order: the next incoming streams belong to them. */
  private readonly knocked: number[] = [];
  private mainInjector: Injector | undefined;
  private readonly proxies = new Set<NetServer>();
  private readonly dir: string;
  private proxyCount = 0;
  private closed = false;

  constructor(private readonly options: GrpcMuxOptions) {
    this.session = options.session;
    this.dir = mkdtempSync(join(options.socketDir, 'mux-'));
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
      const injector = id === undefined ? this.mainInjector : this.injectors.get(id);
      if (!injector) {
        this.options.logger.debug('no server for an incoming multiplexed stream; resetting it', { id });
        stream.destroy();
        continue;
      }
      injector.injectConnection(stream);
    }
  }

  /** Plugin side: streams nobody knocked for are the host's main gRPC connections. */
  serveMain(server: Server): void {
    this.mainInjector = server.createConnectionInjector(this.options.serverCredentials());
  }

  async expect(id: number, server: Server): Promise<{ close(): void }> {
    this.injectors.set(id, server.createConnectionInjector(this.options.serverCredentials()));
    return {
      close: () => {
        this.injectors.get(id)?.destroy();
        this.injectors.delete(id);
      },
    };
  }

  acceptKnock(id: number): string {
    if (!this.injectors.has(id)) return `no listener for id ${id}`;
    this.knocked.push(id);
    return '';
  }

  /** A local unix socket target; each connection to it opens a stream (after `before`, e.g. a knock). */
  async dialTarget(id: number, before?: () => Promise<void>): Promise<{ target: string; close(): void }> {
    const path = join(this.dir, `dial-${id}-${this.proxyCount++}`);
    const server = createServer((socket) => {
      socket.pause();
      void (before ? before() : Promise.resolve()).then(
        () => {
          splice(socket, this.session.open());
          socket.resume();
        },
        (err: unknown) => {
          this.options.logger.debug('multiplexed dial failed', { id, error: err });
          socket.destroy();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    this.proxies.add(server);
    return {
      target: `unix://${path}`,
      close: () => {
        this.proxies.delete(server);
        server.close();
      },
    };
  }

  /** Host side: the target for the main gRPC connection (a plain new stream, no knock). */
  mainTarget(): Promise<{ target: string; close(): void }> {
    return this.dialTarget(0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.proxies) p.close();
    this.proxies.clear();
    for (const inj of this.injectors.values()) inj.destroy();
    this.mainInjector?.destroy();
    await this.session.close().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
