/**
 * Quorum's entry in the conformance kit's presets: geth's go-plugin host
 * (v1.2.2) with Quorum's magic cookie, protocol version 1, AutoMTLS always.
 * `qplugin check` also runs the Init point for it (initPoint).
 */
import type { Preset } from '@qplugin/conformance';

import { QUORUM_HANDSHAKE } from '@qplugin/quorum';

export const QUORUM_PRESET: Preset = {
  name: 'quorum',
  description:
    "GoQuorum's geth (go-plugin v1.2.2): cookie QUORUM_PLUGIN_MAGIC_COOKIE, version 1, AutoMTLS, Init",
  host: 'geth',
  cookie: { key: QUORUM_HANDSHAKE.magicCookieKey, value: QUORUM_HANDSHAKE.magicCookieValue },
  protocolVersions: [QUORUM_HANDSHAKE.protocolVersion],
  autoMTLS: true,
};
