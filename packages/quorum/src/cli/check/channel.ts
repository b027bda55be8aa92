/**
 * The gRPC connection the later points use, opened the way go-plugin's host
 * does right after the handshake: dial with mutual TLS (the host's
 * certificate, server name localhost), then at once open
 * GRPCBroker.StartStream and GRPCStdio.StreamStdio. The stdio stream is
 * watched until the end, so point 7 can say whether it was answered and how
 * it ended.
 */
import { ChannelCredentials, Client as GrpcClient, Metadata } from '@grpc/grpc-js';

import {
  GRPCStdio,
  Status,
  createClient,
  derToPem,
  dialTarget,
  mtlsChannelOptions,
  toRpcError,
} from '@qplugin/go-plugin/protocol';
import type { AutoMtlsCertificate } from '@qplugin/go-plugin/protocol';

import type { Address, Transport } from './mtls.js';

const BROKER_PATH = '/plugin.GRPCBroker/StartStream';

export interface StdioWatch {
  /** Bytes received on the stream. */
  bytes: number;
  /** Set when the stream ended: its status code name and message, and when. */
  ended?: { code: Status; codeName: string; message: string; at: number };
}

export interface Channel {
  readonly conn: GrpcClient;
  readonly stdio: StdioWatch;
  /** Ends the broker stream, as the host does before Shutdown. */
  closeBroker(): void;
  close(): void;
}

export function openChannel(
  addr: Address,
  transport: Transport,
  host: AutoMtlsCertificate,
): Channel | undefined {
  if (transport.kind === 'none') return undefined;
  const options = {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    ...(transport.kind === 'tls' ? mtlsChannelOptions() : {}),
  };
  // Point 4 compared the presented certificate with the announced one; here
  // chain checks are off so that a certificate point 3 failed does not hide
  // the remaining points.
  const credentials =
    transport.kind === 'tls'
      ? ChannelCredentials.createSsl(
          Buffer.from(derToPem(transport.peerDer)),
          Buffer.from(host.privateKeyPem),
          Buffer.from(host.pem),
          { rejectUnauthorized: false },
        )
      : ChannelCredentials.createInsecure();
  const conn = new GrpcClient(dialTarget(addr.network, addr.address), credentials, options);
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

  // The broker's service descriptor is not exported by @qplugin/go-plugin/protocol (the name
  // GRPCBroker is its broker class there), and the check sends nothing on it: open it by path
  // with pass-through codecs. A plugin without a broker is fine, as for go-plugin.
  const broker = conn.makeBidiStreamRequest(
    BROKER_PATH,
    (b: Buffer) => b,
    (b: Buffer) => b,
    new Metadata(),
    {},
  );
  broker.on('data', () => {});
  broker.on('error', () => {});

  return {
    conn,
    stdio,
    closeBroker: () => broker.end(),
    close: () => {
      lifetime.abort();
      broker.cancel();
      conn.close();
    },
  };
}
