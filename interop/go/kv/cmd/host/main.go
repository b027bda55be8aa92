// Command host is the kv host: it runs the plugin command in $KV_PLUGIN
// through `sh -c`, dispenses the KV and runs `get <key>` or `put <key>
// <value>`, as go-plugin's examples/grpc host does.
package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"

	plugin "github.com/hashicorp/go-plugin"

	"qplugin.dev/interop/kv/shared"
)

func run(args []string) error {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		Plugins:          shared.PluginMap,
		Cmd:              exec.Command("sh", "-c", os.Getenv("KV_PLUGIN")),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC, plugin.ProtocolGRPC},
	})
	defer client.Kill()

	rpcClient, err := client.Client()
	if err != nil {
		return err
	}
	raw, err := rpcClient.Dispense(shared.PluginName)
	if err != nil {
		return err
	}
	kv := raw.(shared.KV)

	switch {
	case len(args) == 2 && args[0] == "get":
		value, err := kv.Get(args[1])
		if err != nil {
			return err
		}
		fmt.Println(string(value))
	case len(args) == 3 && args[0] == "put":
		return kv.Put(args[1], []byte(args[2]))
	default:
		return fmt.Errorf("usage: host get <key> | host put <key> <value> (with KV_PLUGIN set), given %q", args)
	}
	return nil
}

func main() {
	// Plugin logs reach the host's hclog logger on stderr; the std logger stays quiet.
	log.SetOutput(io.Discard)
	if err := run(os.Args[1:]); err != nil {
		fmt.Printf("error: %+v\n", err)
		os.Exit(1)
	}
}
