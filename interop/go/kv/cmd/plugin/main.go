// Command plugin is the kv plugin: it stores each value in a file kv_<key>
// in its working directory and serves it with plugin.Serve, as go-plugin's
// examples/grpc plugin does.
package main

import (
	"fmt"
	"os"

	plugin "github.com/hashicorp/go-plugin"

	"qplugin.dev/interop/kv/shared"
)

type fileKV struct{}

func (fileKV) Put(key string, value []byte) error {
	return os.WriteFile("kv_"+key, []byte(fmt.Sprintf("%s\n\nWritten from the kv plugin (Go)", value)), 0o644)
}

func (fileKV) Get(key string) ([]byte, error) {
	return os.ReadFile("kv_" + key)
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.Handshake,
		Plugins: map[string]plugin.Plugin{
			shared.PluginName: &shared.KVGRPCPlugin{Impl: fileKV{}},
		},
		// A gRPC server makes this a gRPC plugin.
		GRPCServer: plugin.DefaultGRPCServer,
	})
}
