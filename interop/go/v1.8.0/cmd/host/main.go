// Command host is the interop test host built against go-plugin v1.8.0. On
// top of the shared flags it offers -mux (GRPCBrokerMultiplex, v1.6.0+).
package main

import (
	"flag"

	plugin "github.com/hashicorp/go-plugin"

	"qplugin.dev/interop/shared/hostapp"
)

func main() {
	mux := flag.Bool("mux", false, "set ClientConfig.GRPCBrokerMultiplex")
	hostapp.Main(hostapp.Ext{
		Configure: func(cfg *plugin.ClientConfig) { cfg.GRPCBrokerMultiplex = *mux },
	})
}
