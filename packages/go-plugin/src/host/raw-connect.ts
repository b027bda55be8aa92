/** A plain socket to a plugin address (the transport under a multiplexed session). */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

import { splitTcpAddress } from '../protocol/handshake.js';
import type { Network } from '../protocol/handshake.js';

export function connectRaw(network: Network, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = network === 'unix' ? connect({ path: address }) : connect(splitTcpAddress(address));
    socket.once('connect', () => {
      socket.off('error', reject);
      if (network === 'tcp') socket.setKeepAlive(true);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
