#!/usr/bin/env node
/**
 * A Quorum qlight token manager plugin in TypeScript: issues short-lived JWTs
 * for a qlight client node to present to its server node. Started by geth or
 * any host with Quorum's handshake. `void serve()` (no top-level await)
 * keeps it packable as CommonJS (the code-cached default of `qplugin pack`, `--sea`).
 */
import { serve, service } from '@qplugin/go-plugin/plugin';
import { PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { TokenManager } from './token-manager.js';

const manager = new TokenManager();

void serve({
  handshake: QUORUM_HANDSHAKE,
  services: ({ logger }) => [
    service(PluginInitializer, {
      init(req) {
        const cfg = manager.init(req.rawConfiguration);
        logger.info('initialized', {
          lifetimeSeconds: cfg.lifetimeSeconds,
          signed: cfg.hmacSecret !== undefined,
        });
        return {};
      },
    }),
    manager.service(),
  ],
});
