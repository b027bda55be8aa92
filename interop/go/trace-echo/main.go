// Command trace-echo is a Go plugin (go-plugin v1.8.0) for the tracing tests:
// Init accepts any config, and Greeting answers with the W3C trace context
// gRPC metadata the call carried, as JSON:
// {"msg":…,"traceparent":[…],"tracestate":[…]}. The host's side of
// the trace is then checked against what a real grpc-go server received.
package main

import (
	"context"
	"encoding/json"
	"os"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"qplugin.dev/interop/shared/pb/helloworldpb"
	"qplugin.dev/interop/shared/pb/initpb"
	"qplugin.dev/interop/shared/services"
)

type server struct{ log hclog.Logger }

func (s *server) Init(context.Context, *initpb.PluginInitialization_Request) (*initpb.PluginInitialization_Response, error) {
	return &initpb.PluginInitialization_Response{}, nil
}

func (s *server) Greeting(ctx context.Context, req *helloworldpb.PluginHelloWorld_Request) (*helloworldpb.PluginHelloWorld_Response, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	seen := map[string]interface{}{
		"msg":         req.GetMsg(),
		"traceparent": md.Get("traceparent"),
		"tracestate":  md.Get("tracestate"),
	}
	s.log.Info("greeting", "traceparent", md.Get("traceparent"))
	out, err := json.Marshal(seen)
	if err != nil {
		return nil, err
	}
	return &helloworldpb.PluginHelloWorld_Response{Msg: string(out)}, nil
}

type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	log hclog.Logger
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	impl := &server{log: p.log}
	services.RegisterInitializer(s, impl)
	services.RegisterGreeter(s, impl)
	return nil
}

func (p *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, nil
}

func main() {
	logger := hclog.New(&hclog.LoggerOptions{Name: "trace-echo", Level: hclog.Trace, Output: os.Stderr, JSONFormat: true})
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: services.Handshake,
		Plugins:         plugin.PluginSet{services.PluginKey: &grpcPlugin{log: logger}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}
