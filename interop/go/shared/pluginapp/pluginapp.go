// Package pluginapp is the interop test plugin: Quorum's hello-world services
// (PluginInitializer + PluginGreeting) plus the qplugin.interop.Interop and
// qplugin.interop.Probe test services, served with go-plugin's plugin.Serve.
// It only uses go-plugin APIs that exist in v1.0.1, so every version module
// can build it unchanged.
package pluginapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"qplugin.dev/interop/shared/pb/helloworldpb"
	"qplugin.dev/interop/shared/pb/initpb"
	"qplugin.dev/interop/shared/pb/interoppb"
	"qplugin.dev/interop/shared/services"
)

// Main serves the plugin until the host shuts it down.
func Main() {
	// Created before Serve swaps os.Stderr, so it writes to the real fd 2,
	// which the host parses as hclog JSON.
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "interop-plugin",
		Level:      hclog.Trace,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	logger.Debug("starting interop plugin",
		"go_plugin", services.DepVersion(services.GoPluginModule),
		"grpc", services.DepVersion(services.GRPCModule))
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: services.Handshake,
		Plugins:         plugin.PluginSet{services.PluginKey: &Plugin{Logger: logger}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}

// Plugin is the plugin-side go-plugin GRPCPlugin: it registers the services.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Logger hclog.Logger
}

// GRPCServer registers all services of the test plugin on s.
func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	impl := &server{broker: broker, log: p.Logger}
	services.RegisterInitializer(s, impl)
	services.RegisterGreeter(s, impl)
	services.RegisterInterop(s, impl)
	services.RegisterProbe(s, newProbeServer())
	return nil
}

// GRPCClient is never used on the plugin side.
func (p *Plugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, errors.New("not supported")
}

type server struct {
	broker *plugin.GRPCBroker
	log    hclog.Logger

	mu       sync.Mutex
	language string // "" until a successful Init
}

type config struct {
	Language string `json:"language"`
}

func (s *server) Init(_ context.Context, req *initpb.PluginInitialization_Request) (*initpb.PluginInitialization_Response, error) {
	raw := req.GetRawConfiguration()
	var cfg config
	// Zero bytes is what geth sends when the plugin has no config: treat it
	// like an empty object, so it fails the language check below.
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, status.Error(codes.InvalidArgument, fmt.Sprintf("invalid config: %s, err: %s", raw, err.Error()))
		}
	}
	if cfg.Language != "en" && cfg.Language != "es" {
		return nil, status.Error(codes.InvalidArgument, fmt.Sprintf("unsupported language: [%s]", cfg.Language))
	}
	s.mu.Lock()
	s.language = cfg.Language
	s.mu.Unlock()
	s.log.Info("initialized", "hostIdentity", req.GetHostIdentity(), "language", cfg.Language)
	return &initpb.PluginInitialization_Response{}, nil
}

func (s *server) Greeting(_ context.Context, req *helloworldpb.PluginHelloWorld_Request) (*helloworldpb.PluginHelloWorld_Response, error) {
	s.mu.Lock()
	lang := s.language
	s.mu.Unlock()
	var greeting string
	switch lang {
	case "en":
		greeting = "Hello"
	case "es":
		greeting = "Hola"
	default:
		return nil, status.Error(codes.FailedPrecondition, "plugin not initialized")
	}
	return &helloworldpb.PluginHelloWorld_Response{Msg: greeting + " " + req.GetMsg() + "!"}, nil
}

// CallBack dials the host's brokered Callback server and relays its answer.
func (s *server) CallBack(ctx context.Context, req *interoppb.CallBackRequest) (*interoppb.EchoResponse, error) {
	conn, err := s.broker.Dial(req.GetBrokerId())
	if err != nil {
		// A plain error: the host sees code Unknown with err.Error() as text.
		return nil, err
	}
	defer conn.Close()
	resp, err := services.Client{Conn: conn}.Echo(ctx, &interoppb.EchoRequest{Text: req.GetText()})
	if err != nil {
		// Pass the callee's status through unchanged.
		return nil, err
	}
	return &interoppb.EchoResponse{Text: resp.GetText()}, nil
}

// Print writes to the (swapped) os.Stdout/os.Stderr, which go-plugin forwards
// to the host through GRPCStdio (v1.1.0+).
func (s *server) Print(_ context.Context, req *interoppb.PrintRequest) (*interoppb.PrintResponse, error) {
	if t := req.GetStdout(); t != "" {
		if _, err := os.Stdout.WriteString(t); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	if t := req.GetStderr(); t != "" {
		if _, err := os.Stderr.WriteString(t); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	return &interoppb.PrintResponse{}, nil
}

// ServeCallback starts a brokered Callback server and returns its broker id.
func (s *server) ServeCallback(context.Context, *interoppb.ServeCallbackRequest) (*interoppb.ServeCallbackResponse, error) {
	id := s.broker.NextId()
	go s.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		srv := grpc.NewServer(opts...)
		services.RegisterCallback(srv, services.EchoFunc(func(text string) string { return "plugin echo: " + text }))
		return srv
	})
	return &interoppb.ServeCallbackResponse{BrokerId: id}, nil
}

// Crash ends the process at once; the response is never sent.
func (s *server) Crash(_ context.Context, req *interoppb.CrashRequest) (*interoppb.CrashResponse, error) {
	s.log.Warn("crashing on request", "exit_code", req.GetExitCode())
	os.Exit(int(req.GetExitCode()))
	return nil, nil
}
