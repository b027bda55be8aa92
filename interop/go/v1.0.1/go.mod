// Interop peers built with go-plugin v1.0.1 and grpc v1.27.1, the versions
// of Quorum's Go hello-world plugin.
module qplugin.dev/interop/v1.0.1

go 1.22

require qplugin.dev/interop/shared v0.0.0

require (
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/hashicorp/go-hclog v0.0.0-20180709165350-ff2cf002a8dd // indirect
	github.com/hashicorp/go-plugin v1.0.1 // indirect
	github.com/hashicorp/yamux v0.0.0-20180604194846-3520598351bb // indirect
	github.com/mitchellh/go-testing-interface v0.0.0-20171004221916-a61a99592b77 // indirect
	github.com/oklog/run v1.0.0 // indirect
	golang.org/x/net v0.0.0-20190311183353-d8887717615a // indirect
	golang.org/x/sys v0.0.0-20190215142949-d0b11bdaac8a // indirect
	golang.org/x/text v0.3.0 // indirect
	google.golang.org/genproto v0.0.0-20190819201941-24fa4b261c55 // indirect
	google.golang.org/grpc v1.27.1 // indirect
	google.golang.org/protobuf v1.36.6 // indirect
)

replace qplugin.dev/interop/shared => ../shared
