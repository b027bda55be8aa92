package services

import plugin "github.com/hashicorp/go-plugin"

// Handshake is GoQuorum's go-plugin handshake (internal/plugin/protocol.go in
// Consensys/quorum); every host and plugin in interop/go uses it.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "QUORUM_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "CB9F51969613126D93468868990F77A8470EB9177503C5A38D437FEFF7786E0941152E05C06A9A3313391059132A7F9CED86C0783FE63A8B38F01623C8257664",
}

// PluginKey is the single plugin-set entry used on both sides (the key
// Quorum's hello-world plugin serves under).
const PluginKey = "impl"
