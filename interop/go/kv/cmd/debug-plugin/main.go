// Command debug-plugin serves the kv plugin in go-plugin's test mode, the way
// a Terraform provider runs under a debugger: nobody starts it as a child, it
// checks no cookie and prints no handshake line. Instead it prints one line,
//
//	TF_REATTACH_PROVIDERS={"qplugin.dev/interop/kv":{"Protocol":"grpc",...}}
//
// built from the ReattachConfig go-plugin hands over on ReattachConfigCh, for
// a host to reattach with. It serves until SIGINT/SIGTERM, or until a host
// asks it to shut down (GRPCController.Shutdown).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	plugin "github.com/hashicorp/go-plugin"

	"qplugin.dev/interop/kv/shared"
)

// reattachJSON is one entry of TF_REATTACH_PROVIDERS, as Terraform reads it.
type reattachJSON struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct{ Network, String string }
}

type fileKV struct{}

func (fileKV) Put(key string, value []byte) error {
	return os.WriteFile("kv_"+key, []byte(fmt.Sprintf("%s\n\nWritten from the kv plugin (Go, debug mode)", value)), 0o644)
}

func (fileKV) Get(key string) ([]byte, error) {
	return os.ReadFile("kv_" + key)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	configs := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.Handshake,
		Plugins:         map[string]plugin.Plugin{shared.PluginName: &shared.KVGRPCPlugin{Impl: fileKV{}}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Test:            &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: configs, CloseCh: closed},
	})
	select {
	case config := <-configs:
		entry := reattachJSON{
			Protocol:        string(config.Protocol),
			ProtocolVersion: config.ProtocolVersion,
			Pid:             config.Pid,
			Test:            config.Test,
		}
		entry.Addr.Network = config.Addr.Network()
		entry.Addr.String = config.Addr.String()
		line, err := json.Marshal(map[string]reattachJSON{"qplugin.dev/interop/kv": entry})
		if err != nil {
			fmt.Fprintln(os.Stderr, "debug-plugin:", err)
			os.Exit(1)
		}
		fmt.Printf("TF_REATTACH_PROVIDERS=%s\n", line)
	case <-closed:
		fmt.Fprintln(os.Stderr, "debug-plugin: serving ended before it listened")
		os.Exit(1)
	}
	<-closed
}
