// Command gateway is the Go reference of bench S7: what `qplugin run` does
// for plugin@helloworld_greeting, written the way geth does it, in one Go
// process — net/http and encoding/json for JSON-RPC 2.0 over HTTP, go-plugin
// v1.2.2 (GoQuorum's pin, AutoMTLS, Quorum's handshake) to host the plugin.
//
//	gateway [-addr 127.0.0.1:0] [-config '{"language":"en"}'] -- <plugin> [args]
//
// When ready it prints one JSON line on stdout: {"url":…,"pid":…,"plugin_pid":…}.
// SIGINT/SIGTERM stop it: the HTTP server drains (5 s at most), then the
// plugin is killed as go-plugin does (Shutdown, then SIGKILL after 2 s).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"qplugin.dev/interop/shared/pb/helloworldpb"
	"qplugin.dev/interop/shared/pb/initpb"
	"qplugin.dev/interop/shared/services"
)

// geth's limits and our gateway's defaults.
const (
	bodyLimit   = 5 * 1024 * 1024
	batchLimit  = 1000
	callTimeout = 30 * time.Second
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	config := flag.String("config", `{"language":"en"}`, "the plugin's Init configuration")
	flag.Parse()
	if flag.NArg() == 0 {
		fail(errors.New("usage: gateway [-addr host:port] [-config json] -- <plugin> [args]"))
	}

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  services.Handshake,
		Plugins:          plugin.PluginSet{services.PluginKey: hostPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "gateway", Level: hclog.Warn, Output: os.Stderr}),
	})
	defer client.Kill()
	svc, err := connect(client, []byte(*config))
	if err != nil {
		client.Kill()
		fail(err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		client.Kill()
		fail(err)
	}
	srv := &http.Server{Handler: newGateway(svc), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	ready, _ := json.Marshal(map[string]any{
		"url": "http://" + ln.Addr().String(), "pid": os.Getpid(), "plugin_pid": cmd.Process.Pid,
	})
	fmt.Println(string(ready))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gateway:", err)
	os.Exit(1)
}

// hostPlugin dispenses the raw connection; calls go through services.Client.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("not supported")
}

func (hostPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

// connect starts the plugin and calls Init, as geth's plugin manager does.
func connect(client *plugin.Client, config []byte) (services.Client, error) {
	proto, err := client.Client()
	if err != nil {
		return services.Client{}, err
	}
	raw, err := proto.Dispense(services.PluginKey)
	if err != nil {
		return services.Client{}, err
	}
	svc := services.Client{Conn: raw.(*grpc.ClientConn)}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, err = svc.Init(ctx, &initpb.PluginInitialization_Request{RawConfiguration: config})
	return svc, err
}

// JSON-RPC 2.0 messages and geth's error codes.
type request struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return e.Message }

type response struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

var null = json.RawMessage("null")

type method func(ctx context.Context, params json.RawMessage) (any, error)

type gateway struct {
	methods map[string]method
}

func newGateway(svc services.Client) *gateway {
	return &gateway{methods: map[string]method{
		"plugin@helloworld_greeting": func(ctx context.Context, params json.RawMessage) (any, error) {
			var msg string
			if err := positional(params, &msg); err != nil {
				return nil, err
			}
			res, err := svc.Greeting(ctx, &helloworldpb.PluginHelloWorld_Request{Msg: msg})
			if err != nil {
				return nil, err
			}
			return res.GetMsg(), nil
		},
	}}
}

// positional decodes a params array into args, with geth's error texts.
func positional(params json.RawMessage, args ...any) error {
	var list []json.RawMessage
	if len(params) > 0 && !bytes.Equal(params, null) {
		if err := json.Unmarshal(params, &list); err != nil {
			return &rpcError{-32602, "non-array args"}
		}
	}
	if len(list) > len(args) {
		return &rpcError{-32602, fmt.Sprintf("too many arguments, want at most %d", len(args))}
	}
	for i := range args {
		if i >= len(list) {
			return &rpcError{-32602, fmt.Sprintf("missing value for required argument %d", i)}
		}
		if err := json.Unmarshal(list[i], args[i]); err != nil {
			return &rpcError{-32602, fmt.Sprintf("invalid argument %d: %v", i, err)}
		}
	}
	return nil
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("content-type")); err != nil || mt != "application/json" {
		http.Error(w, "invalid content type, only application/json is supported", http.StatusUnsupportedMediaType)
		return
	}
	if r.ContentLength > bodyLimit {
		http.Error(w, "content length too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, bodyLimit+1))
	if err != nil || len(body) > bodyLimit {
		http.Error(w, "content length too large", http.StatusRequestEntityTooLarge)
		return
	}
	out := g.answer(r.Context(), body)
	w.Header().Set("content-type", "application/json")
	if out == nil {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(out)
}

// answer returns a response, a batch of them, or nil (notifications only).
func (g *gateway) answer(ctx context.Context, body []byte) any {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		var msg json.RawMessage
		if err := json.Unmarshal(body, &msg); err != nil {
			return errorResponse(null, -32700, "parse error")
		}
		if res := g.one(ctx, msg); res != nil {
			return res
		}
		return nil
	}
	var batch []json.RawMessage
	if err := json.Unmarshal(body, &batch); err != nil {
		return errorResponse(null, -32700, "parse error")
	}
	if len(batch) == 0 {
		return errorResponse(null, -32600, "empty batch")
	}
	if len(batch) > batchLimit {
		return errorResponse(null, -32000, "batch too large")
	}
	results := make([]*response, len(batch))
	done := make(chan struct{}, len(batch))
	for i, msg := range batch {
		go func(i int, msg json.RawMessage) {
			results[i] = g.one(ctx, msg)
			done <- struct{}{}
		}(i, msg)
	}
	out := make([]*response, 0, len(batch))
	for range batch {
		<-done
	}
	for _, r := range results {
		if r != nil {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func errorResponse(id json.RawMessage, code int, message string) *response {
	return &response{Version: "2.0", ID: id, Error: &rpcError{code, message}}
}

// one answers a single message; nil for a notification.
func (g *gateway) one(ctx context.Context, raw json.RawMessage) *response {
	var req request
	if err := json.Unmarshal(raw, &req); err != nil || req.Version != "2.0" || req.Method == "" {
		return errorResponse(null, -32600, "invalid request")
	}
	id := req.ID
	notification := len(id) == 0
	if notification {
		id = null
	}
	res := g.call(ctx, id, &req)
	if notification {
		return nil
	}
	return res
}

func (g *gateway) call(ctx context.Context, id json.RawMessage, req *request) *response {
	m, ok := g.methods[req.Method]
	if !ok {
		return errorResponse(id, -32601, fmt.Sprintf("the method %s does not exist/is not available", req.Method))
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	result, err := m(ctx, req.Params)
	if err != nil {
		var re *rpcError
		if errors.As(err, &re) {
			return errorResponse(id, re.Code, re.Message)
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errorResponse(id, -32000, "request timed out")
		}
		return errorResponse(id, -32000, err.Error())
	}
	encoded, err := json.Marshal(result)
	if err != nil {
		return errorResponse(id, -32000, err.Error())
	}
	return &response{Version: "2.0", ID: id, Result: encoded}
}
