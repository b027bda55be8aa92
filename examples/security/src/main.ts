#!/usr/bin/env node
/**
 * A Quorum security plugin in TypeScript: serves geth's RPC TLS material and
 * authenticates access tokens from a static table, both from the Init config
 * (see config.ts). Started by geth or any host with Quorum's handshake.
 * `void serve()` (no top-level await) keeps it packable as CommonJS:
 * the code-cached default of `qplugin pack`, and `--sea`.
 */
import { serve, service } from '@qplugin/go-plugin/plugin';
import { PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { SecurityPlugin } from './security.js';

const plugin = new SecurityPlugin();

void serve({
  handshake: QUORUM_HANDSHAKE,
  services: ({ logger }) => [
    service(PluginInitializer, {
      init(req) {
        const cfg = plugin.init(req.rawConfiguration);
        logger.info('initialized', { tls: cfg.tls !== undefined, tokens: cfg.tokens?.size ?? 0 });
        return {};
      },
    }),
    ...plugin.services(),
  ],
});
