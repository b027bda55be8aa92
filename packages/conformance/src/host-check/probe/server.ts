/**
 * The probe's gRPC server: the built-in services a go-plugin host may call,
 * each call recorded, and any other method answered with an empty message
 * (zero bytes decode as the default value of every protobuf message), so an
 * application's own calls (Init, say) succeed and the host carries on to
 * Shutdown. TLS handshakes are recorded as the host performs them.
 */
import type { Http2SecureServer, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket, TlsOptions } from 'node:tls';

import { service } from '@qplugin/go-plugin/protocol';
import {
  GRPCBrokerService,
  GRPCController,
  GRPCStdio,
  GrpcServer,
  Health,
  ServingStatus,
  addServices,
} from '@qplugin/go-plugin/internal';
import type { ServiceRegistration } from '@qplugin/go-plugin/protocol';

import type { ProbeScript } from '../messages.js';
import type { ReportLink } from './report-link.js';

export interface ProbeServerHooks {
  /** Called when Shutdown arrives; resolves when the probe may answer (never for `hold`). */
  onShutdown(): Promise<void>;
}

const BUILTIN = /^\/(plugin\.|grpc\.health\.v1\.|grpc\.reflection\.)/;

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  return typeof v === 'string' ? v : null;
}

export function probeServer(
  script: ProbeScript,
  link: ReportLink,
  tls: TlsOptions | undefined,
  hooks: ProbeServerHooks,
): GrpcServer {
  // node:http2 on purpose: the probe's HTTP/2 stays independent of the h2 code the hosts it checks may share.
  const server = new GrpcServer({ transport: 'node-http2', ...(tls ? { tls } : {}) });
  const services: ServiceRegistration[] = [
    service(Health, {
      check: () => ({ status: ServingStatus.SERVING }),
      list: () => ({ statuses: { plugin: { status: ServingStatus.SERVING } } }),
      watch: async (_req, send, ctx) => {
        await send({ status: ServingStatus.SERVING });
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      },
    }),
  ];
  if (script.builtins) {
    services.push(
      service(GRPCController, {
        async shutdown(_req, ctx) {
          link.event({
            kind: 'shutdown',
            deadlineMs: ctx.deadline === undefined ? null : Math.max(0, ctx.deadline - Date.now()),
          });
          await hooks.onShutdown();
          return {};
        },
      }),
      service(GRPCStdio, {
        streamStdio: (_req, _send, ctx) =>
          new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())),
      }),
      service(GRPCBrokerService, {
        async startStream(requests, _send, ctx) {
          try {
            for await (const info of requests)
              link.event({
                kind: 'broker-message',
                serviceId: info.serviceId,
                knock: info.knock !== undefined,
              });
          } catch {
            // the host went away
          }
          if (!ctx.signal.aborted)
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        },
      }),
    );
  }
  addServices(server, services);

  const registered = new Set<string>();
  // Ahead of the server's own router: record the call, and route methods no
  // service knows to the empty answer.
  server.http2.prependListener('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const path = header(headers, ':path') ?? '';
    link.event({
      kind: 'call',
      path,
      authority: header(headers, ':authority') ?? '',
      userAgent: header(headers, 'user-agent') ?? '',
      timeout: header(headers, 'grpc-timeout'),
    });
    stream.once('close', () => {
      const status = stream.sentTrailers?.['grpc-status'] ?? stream.sentHeaders?.['grpc-status'];
      link.event({ kind: 'call-end', path, code: status === undefined ? null : Number(status) });
    });
    if (!BUILTIN.test(path) && !registered.has(path)) {
      registered.add(path);
      server.register(path, 'unary', (call) => call.readAll(() => call.sendUnary(new Uint8Array(0))));
    }
  });

  server.http2.on('connection', () => link.event({ kind: 'connection', tls: tls !== undefined }));
  if (tls) {
    const secure = server.http2 as Http2SecureServer;
    secure.on('secureConnection', (socket: TLSSocket) => {
      link.event({
        kind: 'tls',
        protocol: socket.getProtocol(),
        alpn: socket.alpnProtocol,
        servername: (socket as TLSSocket & { servername?: string | false }).servername ?? null,
        peerCertificate: socket.getPeerCertificate()?.raw?.toString('base64') ?? null,
        sharedSigalgs: socket.getSharedSigalgs(),
      });
    });
    secure.on('tlsClientError', (err: Error) => link.event({ kind: 'tls-error', message: err.message }));
  }
  return server;
}
