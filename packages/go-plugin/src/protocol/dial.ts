/**
 * Where a gRPC client connects: a unix socket or a TCP address, as the
 * handshake and the broker's ConnInfo give them, with TLS on top when the
 * connection is mutual TLS.
 */
import { connect as netConnect } from 'node:net';
import type { ConnectionOptions } from 'node:tls';

import { Channel } from './grpc/channel.js';
import type { ChannelOptions, Connector } from './grpc/channel.js';
import { GoPluginError } from './errors.js';
import type { Network } from './handshake.js';
import { splitTcpAddress } from './handshake.js';
import { connectTls } from './tls.js';

export interface DialTarget {
  network: Network;
  address: string;
}

/** Checks a network/address pair (from a handshake or a ConnInfo) and makes it a target. */
export function dialTarget(network: string, address: string): DialTarget {
  if (network === 'unix') return { network, address };
  if (network === 'tcp') {
    splitTcpAddress(address);
    return { network, address };
  }
  throw new GoPluginError('BROKER_ADDRESS', `unknown address type: ${address}`, {
    fix: `Brokered connection info must use network "unix" or "tcp", not "${network}".`,
    details: { network, address },
  });
}

/** A connector that opens a new socket to `target` per session (TLS when `tls` is given). */
export function socketConnector(target: DialTarget, tls?: ConnectionOptions): Connector {
  return () => {
    const where = target.network === 'unix' ? { path: target.address } : splitTcpAddress(target.address);
    if (tls) return connectTls({ ...where, ...tls });
    return netConnect(where);
  };
}

/** A channel to `target`. */
export function dialChannel(
  target: DialTarget,
  tls: ConnectionOptions | undefined,
  options: Omit<ChannelOptions, 'connect' | 'secure'> = {},
): Channel {
  return new Channel({ ...options, connect: socketConnector(target, tls), secure: tls !== undefined });
}
