/**
 * The gRPC connection the later points use, opened the way go-plugin's host
 * does right after the handshake: dial (with AutoMTLS: the host's
 * certificate, server name localhost), then at once open
 * GRPCBroker.StartStream and GRPCStdio.StreamStdio. The stdio stream is
 * watched until the end, so the stdio point can say whether it was answered
 * and how it ended.
 */
import { Status } from '@qplugin/go-plugin/protocol';
import {
  GRPCBrokerService,
  GRPCStdio,
  TLS_SERVER_NAME,
  createClient,
  derToPem,
  dialChannel,
  dialTarget,
  toRpcError,
} from '@qplugin/go-plugin/internal';

import type { AutoMtlsCertificate, Channel as GrpcChannel } from '@qplugin/go-plugin/internal';

import type { Address, Transport } from './mtls.js';

export interface StdioWatch {
  /** Bytes received on the stream. */
  bytes: number;
  /** Set when the stream ended: its status code name and message, and when. */
  ended?: { code: Status; codeName: string; message: string; at: number };
}

export interface Channel {
  readonly conn: GrpcChannel;
  readonly stdio: StdioWatch;
  /** Ends the broker stream, as the host does before Shutdown. */
  closeBroker(): void;
  close(): void;
}

export function openChannel(
  addr: Address,
  transport: Transport,
  host: AutoMtlsCertificate | undefined,
): Channel | undefined {
  if (transport.kind === 'none') return undefined;
  // The mtls point compared the presented certificate with the announced one;
  // here chain checks are off so that a certificate the certificate point
  // failed does not hide the remaining points. Ours is presented all the same.
  const tls =
    transport.kind === 'tls' && host
      ? {
          ca: derToPem(transport.peerDer),
          key: host.privateKeyPem,
          cert: host.pem,
          servername: TLS_SERVER_NAME,
          ALPNProtocols: ['h2'],
          rejectUnauthorized: false,
        }
      : undefined;
  const conn = dialChannel(dialTarget(addr.network, addr.address), tls, {
    maxReceiveMessageBytes: 2 ** 31 - 1,
  });
  const lifetime = new AbortController();

  const stdio: StdioWatch = { bytes: 0 };
  void (async () => {
    try {
      for await (const data of createClient(GRPCStdio, conn).streamStdio({}, { signal: lifetime.signal }))
        stdio.bytes += data.data.length;
      stdio.ended = { code: Status.OK, codeName: 'OK', message: '', at: Date.now() };
    } catch (err) {
      const rpc = toRpcError(err);
      stdio.ended = { code: rpc.code, codeName: rpc.codeName, message: rpc.details, at: Date.now() };
    }
  })();

  // Opened as go-plugin's host does; the check sends nothing on it. A plugin without a broker is fine.
  const broker = createClient(GRPCBrokerService, conn).startStream({ signal: lifetime.signal });
  void (async () => {
    try {
      for await (const _ of broker.responses) {
        // drained
      }
    } catch {
      // ended with the connection
    }
  })();

  return {
    conn,
    stdio,
    closeBroker: () => broker.end(),
    close: () => {
      lifetime.abort();
      conn.close();
    },
  };
}
