// Code shared by the interop peers of every go-plugin version. It may only
// use go-plugin APIs present in v1.0.1: the requirements below are the
// minimum; each version module's go.mod raises them (MVS). grpc v1.27.1
// encodes through github.com/golang/protobuf, which is pinned to v1.5.4 (an
// APIv2-backed release) so it can marshal the APIv2 messages in pb/.
// protobuf v1.36.6 also pins protoc-gen-go for scripts/generate.sh.
module qplugin.dev/interop/shared

go 1.22

require (
	github.com/hashicorp/go-hclog v0.0.0-20180709165350-ff2cf002a8dd
	github.com/hashicorp/go-plugin v1.0.1
	google.golang.org/grpc v1.27.1
	google.golang.org/protobuf v1.36.6
)

require (
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/hashicorp/yamux v0.0.0-20180604194846-3520598351bb // indirect
	github.com/mitchellh/go-testing-interface v0.0.0-20171004221916-a61a99592b77 // indirect
	github.com/oklog/run v1.0.0 // indirect
	golang.org/x/net v0.0.0-20190311183353-d8887717615a // indirect
	golang.org/x/sys v0.0.0-20190215142949-d0b11bdaac8a // indirect
	golang.org/x/text v0.3.0 // indirect
	google.golang.org/genproto v0.0.0-20190819201941-24fa4b261c55 // indirect
)
