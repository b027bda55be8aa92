// Package shared is what the kv host and plugin have in common, laid out as
// go-plugin's examples/grpc does it: the handshake, the plugin map, the KV
// interface and the go-plugin glue that carries it over gRPC.
package shared

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Handshake is the example's: no versioned sets, cookie BASIC_PLUGIN=hello.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "BASIC_PLUGIN",
	MagicCookieValue: "hello",
}

// PluginName is the plugin-set entry both sides use.
const PluginName = "kv_grpc"

// PluginMap is what the host can dispense.
var PluginMap = map[string]plugin.Plugin{
	PluginName: &KVGRPCPlugin{},
}

// KV is the interface the plugin implements and the host calls.
type KV interface {
	Put(key string, value []byte) error
	Get(key string) ([]byte, error)
}

// KVGRPCPlugin serves a KV (plugin side) or wraps the connection in one (host
// side). net/rpc is not offered: the embedded interface only satisfies
// plugin.Plugin.
type KVGRPCPlugin struct {
	plugin.Plugin
	// Impl is the implementation served; only the plugin sets it.
	Impl KV
}

// GRPCServer registers the KV service on the plugin's gRPC server.
func (p *KVGRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	registerKV(s, &grpcServer{impl: p.Impl})
	return nil
}

// GRPCClient gives the host a KV that calls the plugin.
func (p *KVGRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &grpcClient{conn: c}, nil
}
