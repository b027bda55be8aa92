/**
 * Binds a node:http2 server on 127.0.0.1 and connects a protocol/h2 client
 * to it over TCP; `stop` closes the client, the server's sessions and the server.
 */
import { once } from 'node:events';
import type { Http2Server, Http2Session } from 'node:http2';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';

import { H2Connection } from '../../src/protocol/h2/connection.js';

export async function connectH2(
  srv: Http2Server,
  sessions: Http2Session[],
): Promise<{ conn: H2Connection; stop: () => Promise<void> }> {
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const socket = connect((srv.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  const conn = new H2Connection(socket);
  return {
    conn,
    stop: async () => {
      conn.close();
      for (const s of sessions) s.destroy();
      srv.close();
      await once(srv, 'close');
    },
  };
}
