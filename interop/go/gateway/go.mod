// The Go yardstick of bench S7: a geth-style JSON-RPC gateway (net/http,
// encoding/json) in front of a plugin hosted with go-plugin v1.2.2 and grpc
// v1.56.3, GoQuorum's pins, in one process.
module qplugin.dev/interop/gateway

go 1.22

require (
	github.com/hashicorp/go-hclog v0.0.0-20180709165350-ff2cf002a8dd
	github.com/hashicorp/go-plugin v1.2.2
	google.golang.org/grpc v1.56.3
	qplugin.dev/interop/shared v0.0.0
)

require (
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/hashicorp/yamux v0.0.0-20180604194846-3520598351bb // indirect
	github.com/mitchellh/go-testing-interface v0.0.0-20171004221916-a61a99592b77 // indirect
	github.com/oklog/run v1.0.0 // indirect
	golang.org/x/net v0.9.0 // indirect
	golang.org/x/sys v0.7.0 // indirect
	golang.org/x/text v0.9.0 // indirect
	google.golang.org/genproto v0.0.0-20230410155749-daa745c078e1 // indirect
	google.golang.org/protobuf v1.36.6 // indirect
)

replace qplugin.dev/interop/shared => ../shared
