#!/usr/bin/env node
/**
 * Quorum's hello world plugin in TypeScript. geth (or any go-plugin host with
 * Quorum's handshake) starts this file; run by hand it explains that it is a
 * plugin and exits 1.
 */
import { serve, service } from '@qplugin/go-plugin/plugin';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { Greeter } from './greeter.js';

const greeter = new Greeter();

await serve({
  handshake: QUORUM_HANDSHAKE,
  services: ({ logger }) => [
    service(PluginInitializer, {
      init(req) {
        greeter.init(req.rawConfiguration);
        logger.info('initialized', { hostIdentity: req.hostIdentity });
        return {};
      },
    }),
    service(PluginGreeting, {
      greeting: (req) => ({ msg: greeter.greet(req.msg) }),
    }),
  ],
});
