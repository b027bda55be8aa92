/**
 * Making an {@link H2Connection} over TLS: ALPN must select h2 (go-plugin's
 * grpc-go servers and our own offer it), anything else is refused rather than
 * spoken to in HTTP/1.
 */
import type { ConnectionOptions } from 'node:tls';

import { H2Connection } from './connection.js';
import type { H2ConnectionOptions } from './connection.js';
import { H2Code, H2Error } from './errors.js';
import { connectTls as connectPinnable } from '../tls.js';

export function connectTls(
  tlsOptions: ConnectionOptions,
  options?: H2ConnectionOptions,
): Promise<H2Connection> {
  return new Promise((resolve, reject) => {
    const socket = connectPinnable({ ...tlsOptions, ALPNProtocols: ['h2'] });
    const onError = (err: Error): void =>
      reject(new H2Error('CONNECTION_LOST', `connect: ${err.message}`, H2Code.CONNECT_ERROR));
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      if (socket.alpnProtocol !== 'h2') {
        socket.destroy();
        reject(
          new H2Error(
            'PROTOCOL',
            `the server did not select h2 by ALPN (got ${JSON.stringify(socket.alpnProtocol)})`,
            H2Code.HTTP_1_1_REQUIRED,
          ),
        );
        return;
      }
      socket.setNoDelay(true);
      resolve(new H2Connection(socket, options));
    });
  });
}
