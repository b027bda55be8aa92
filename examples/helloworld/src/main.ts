#!/usr/bin/env node
/**
 * Quorum's hello world plugin in TypeScript. geth (or any go-plugin host with
 * Quorum's handshake) starts this file; run by hand it explains that it is a
 * plugin and exits 1. `void serve()` rather than top-level await keeps the
 * module bundleable as CommonJS (`qplugin pack`'s code-cached default); serve() exits
 * the process itself if it cannot start.
 */
import { serve, service } from '@qplugin/go-plugin/plugin';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { Greeter } from './greeter.js';

const greeter = new Greeter();

void serve({
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
