#!/usr/bin/env node
/**
 * A Quorum account plugin in TypeScript: an in-memory secp256k1 keystore
 * (keys live only as long as the process). Started by geth or any host with
 * Quorum's handshake. `void serve()` (no top-level await) keeps it packable
 * as CommonJS: `qplugin pack` code-caches it, and `--sea` works.
 */
import { serve, service } from '@qplugin/go-plugin/plugin';
import { PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { checkInitConfig } from './config.js';
import { Keystore } from './keystore.js';
import { accountService } from './service.js';

const store = new Keystore();

void serve({
  handshake: QUORUM_HANDSHAKE,
  services: ({ logger }) => [
    service(PluginInitializer, {
      init(req) {
        checkInitConfig(req.rawConfiguration);
        logger.info('initialized', { hostIdentity: req.hostIdentity });
        return {};
      },
    }),
    accountService(store),
  ],
});
