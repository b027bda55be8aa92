/**
 * The go-plugin handshake geth uses for every Quorum plugin (protocol 1,
 * gRPC only, AutoMTLS on). A plugin must check this cookie to load in geth.
 */
import type { HandshakeConfig } from '@qplugin/go-plugin/protocol';

export const QUORUM_MAGIC_COOKIE_KEY = 'QUORUM_PLUGIN_MAGIC_COOKIE';
export const QUORUM_MAGIC_COOKIE_VALUE =
  'CB9F51969613126D93468868990F77A8470EB9177503C5A38D437FEFF7786E0941152E05C06A9A3313391059132A7F9CED86C0783FE63A8B38F01623C8257664';

export const QUORUM_HANDSHAKE: HandshakeConfig = Object.freeze({
  protocolVersion: 1,
  magicCookieKey: QUORUM_MAGIC_COOKIE_KEY,
  magicCookieValue: QUORUM_MAGIC_COOKIE_VALUE,
});
