/**
 * A socket wrapped so that everything the server sends is also recorded:
 * node:tls then runs over the wrapper, and the recorded bytes show the
 * server's side of the handshake.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export interface Tapped {
  stream: Duplex;
  /** Bytes received from the server so far. */
  received(): Buffer;
}

const MAX_RECORDED = 256 * 1024;

export function tap(socket: Socket): Tapped {
  const chunks: Buffer[] = [];
  let recorded = 0;
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, (err) => callback(err ?? null));
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (recorded < MAX_RECORDED) {
      chunks.push(chunk);
      recorded += chunk.length;
    }
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once('end', () => stream.push(null));
  socket.once('error', (err) => stream.destroy(err));
  socket.once('close', () => {
    if (!stream.destroyed) stream.push(null);
  });
  return { stream, received: () => Buffer.concat(chunks) };
}
