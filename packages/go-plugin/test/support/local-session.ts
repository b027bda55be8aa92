/**
 * Binds a gRPC server on 127.0.0.1 (a free port, plain HTTP/2) and opens a
 * node:http2 client session to it, for tests that script requests by hand.
 * Session errors are ignored here: tests assert on their calls.
 */
import { once } from 'node:events';
import { connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';

import type { GrpcServer } from '../../src/protocol/grpc/server.js';

export async function localSession(server: GrpcServer): Promise<ClientHttp2Session> {
  server.listener.listen(0, '127.0.0.1');
  await once(server.listener, 'listening');
  const { port } = server.listener.address() as AddressInfo;
  const session = connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  return session;
}
