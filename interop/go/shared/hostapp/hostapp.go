// Package hostapp is the interop test host: it launches a plugin with
// go-plugin's plugin.NewClient using GoQuorum's handshake, runs a list of
// steps against it and reports each outcome as one JSON object per line on
// stdout. Version modules call Main with hooks for version-specific options.
//
// Only go-plugin APIs present in v1.0.1 are used here.
package hostapp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"qplugin.dev/interop/shared/pb/helloworldpb"
	"qplugin.dev/interop/shared/pb/initpb"
	"qplugin.dev/interop/shared/pb/interoppb"
	"qplugin.dev/interop/shared/services"
)

// Remote is what the host's plugin-set entry dispenses: the connection to the
// plugin and the host side of the go-plugin broker.
type Remote struct {
	Conn   *grpc.ClientConn
	Broker *plugin.GRPCBroker
}

type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("not supported")
}

func (hostPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return &Remote{Conn: conn, Broker: broker}, nil
}

// Step runs one step with its argument (the text after the first ':').
// Returned fields are reported after "ok":true; an error is reported as
// "ok":false with its gRPC code/message (when it is a gRPC status) and text.
type Step func(r *Run, arg string) (Fields, error)

// Ext holds the version-specific hooks.
type Ext struct {
	// Configure edits the client config before plugin.NewClient (flags are
	// parsed by then).
	Configure func(cfg *plugin.ClientConfig)
	// Steps adds (or replaces) steps by name.
	Steps map[string]Step
}

// Run is the state the steps work on.
type Run struct {
	Client   *plugin.Client
	Cmd      *exec.Cmd
	Protocol plugin.ClientProtocol
	Remote   *Remote
	Services services.Client
	Identity string

	// Non-nil when -sync is set.
	stdout, stderr *syncBuffer
}

// stepTimeout bounds every RPC a step makes.
const stepTimeout = 30 * time.Second

// Main parses the command line, runs the steps and exits.
func Main(ext Ext) {
	autoMTLS := flag.Bool("automtls", true, "set ClientConfig.AutoMTLS")
	identity := flag.String("identity", "", "hostIdentity sent with init steps")
	stepList := flag.String("steps", "", "steps separated by ';;' (see README.md)")
	syncStdio := flag.Bool("sync", false, "capture the plugin's forwarded stdout/stderr (SyncStdout/SyncStderr) and report them at the end")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] [--] <plugin> [args...]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}

	out := &lineWriter{w: os.Stdout}
	r := &Run{Identity: *identity}
	steps := map[string]Step{
		"init":       stepInit,
		"greet":      stepGreet,
		"ping":       stepPing,
		"print":      stepPrint,
		"eprint":     stepEPrint,
		"callback":   stepCallback,
		"dialplugin": stepDialPlugin,
		"crash":      stepCrash,
		"sleep":      stepSleep,
		"probe":      stepProbe,
	}
	for name, s := range quorumSteps {
		steps[name] = s
	}
	for name, s := range ext.Steps {
		steps[name] = s
	}

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	r.Cmd = cmd
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  services.Handshake,
		Plugins:          plugin.PluginSet{services.PluginKey: hostPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         *autoMTLS,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "host",
			Level:  hclog.Trace,
			Output: os.Stderr,
		}),
	}
	if *syncStdio {
		r.stdout, r.stderr = &syncBuffer{}, &syncBuffer{}
		cfg.SyncStdout, cfg.SyncStderr = r.stdout, r.stderr
	}
	if ext.Configure != nil {
		ext.Configure(cfg)
	}
	r.Client = plugin.NewClient(cfg)

	err := r.connect()
	if err != nil {
		fields := Fields{F("step", "start"), F("ok", false)}
		if cmd.Process != nil {
			fields = append(fields, F("pid", cmd.Process.Pid))
		}
		out.emit(append(fields, F("error", err.Error())))
		r.Client.Kill()
		os.Exit(1)
	}
	out.emit(Fields{
		F("step", "start"), F("ok", true), F("pid", cmd.Process.Pid),
		F("protocol", string(r.Client.Protocol())), F("version", r.Client.NegotiatedVersion()),
		F("go_plugin", services.DepVersion(services.GoPluginModule)), F("grpc", services.DepVersion(services.GRPCModule)),
	})

	for _, spec := range strings.Split(*stepList, ";;") {
		if spec == "" {
			continue
		}
		name, arg := spec, ""
		if i := strings.IndexByte(spec, ':'); i >= 0 {
			name, arg = spec[:i], spec[i+1:]
		}
		fields := Fields{F("step", name)}
		step, ok := steps[name]
		if !ok {
			out.emit(append(fields, F("ok", false), F("error", "unknown step: "+name)))
			continue
		}
		res, err := step(r, arg)
		if err != nil {
			fields = append(fields, F("ok", false))
			if st, isStatus := status.FromError(err); isStatus {
				fields = append(fields, F("code", st.Code().String()), F("message", st.Message()))
			}
			out.emit(append(fields, F("error", err.Error())))
			continue
		}
		out.emit(append(append(fields, F("ok", true)), res...))
	}

	r.Client.Kill()
	var so, se string
	if r.stdout != nil {
		so, se = r.stdout.String(), r.stderr.String()
	}
	out.emit(Fields{
		F("step", "kill"), F("ok", true), F("pid", cmd.Process.Pid), F("exited", r.Client.Exited()),
		F("stdout", so), F("stderr", se),
	})
	os.Exit(0)
}

// connect starts the plugin (client.Client) and dispenses the plugin-set entry.
func (r *Run) connect() error {
	proto, err := r.Client.Client()
	if err != nil {
		return err
	}
	raw, err := proto.Dispense(services.PluginKey)
	if err != nil {
		return err
	}
	remote, ok := raw.(*Remote)
	if !ok {
		return fmt.Errorf("dispensed %T, want *hostapp.Remote", raw)
	}
	r.Protocol, r.Remote, r.Services = proto, remote, services.Client{Conn: remote.Conn}
	return nil
}

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), stepTimeout)
}

func stepInit(r *Run, arg string) (Fields, error) {
	c, cancel := ctx()
	defer cancel()
	var raw []byte
	if arg != "" {
		raw = []byte(arg)
	}
	_, err := r.Services.Init(c, &initpb.PluginInitialization_Request{HostIdentity: r.Identity, RawConfiguration: raw})
	return nil, err
}

func stepGreet(r *Run, arg string) (Fields, error) {
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.Greeting(c, &helloworldpb.PluginHelloWorld_Request{Msg: arg})
	if err != nil {
		return nil, err
	}
	return Fields{F("value", resp.GetMsg())}, nil
}

func stepPing(r *Run, _ string) (Fields, error) {
	return nil, r.Protocol.Ping()
}

func stepPrint(r *Run, arg string) (Fields, error) {
	return r.print(&interoppb.PrintRequest{Stdout: arg}, r.stdout, arg)
}

func stepEPrint(r *Run, arg string) (Fields, error) {
	return r.print(&interoppb.PrintRequest{Stderr: arg}, r.stderr, arg)
}

// print calls Interop.Print. With -sync it then waits (up to 2 s) until the
// text has been forwarded into buf and reports whether it arrived.
func (r *Run) print(req *interoppb.PrintRequest, buf *syncBuffer, text string) (Fields, error) {
	before := 0
	if buf != nil {
		before = len(buf.String())
	}
	c, cancel := ctx()
	defer cancel()
	if _, err := r.Services.Print(c, req); err != nil {
		return nil, err
	}
	if buf == nil {
		return nil, nil
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if strings.Contains(buf.String()[before:], text) {
			return Fields{F("synced", true)}, nil
		}
		if time.Now().After(deadline) {
			return Fields{F("synced", false)}, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stepCallback serves Callback on a host-side broker id and asks the plugin to
// call it.
func stepCallback(r *Run, arg string) (Fields, error) {
	id := r.Remote.Broker.NextId()
	go r.Remote.Broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		services.RegisterCallback(s, services.EchoFunc(func(text string) string { return "host echo: " + text }))
		return s
	})
	c, cancel := ctx()
	defer cancel()
	resp, err := r.Services.CallBack(c, &interoppb.CallBackRequest{BrokerId: id, Text: arg})
	if err != nil {
		return nil, err
	}
	return Fields{F("id", id), F("value", resp.GetText())}, nil
}

// stepDialPlugin asks the plugin to serve Callback on a broker id and dials it.
func stepDialPlugin(r *Run, arg string) (Fields, error) {
	c, cancel := ctx()
	defer cancel()
	sc, err := r.Services.ServeCallback(c, &interoppb.ServeCallbackRequest{})
	if err != nil {
		return nil, err
	}
	conn, err := r.Remote.Broker.Dial(sc.GetBrokerId())
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	resp, err := services.Client{Conn: conn}.Echo(c, &interoppb.EchoRequest{Text: arg})
	if err != nil {
		return nil, err
	}
	return Fields{F("id", sc.GetBrokerId()), F("value", resp.GetText())}, nil
}

// stepCrash asks the plugin to exit with the given code. The RPC itself
// normally fails (the process dies before answering); the step succeeds when
// the host notices the exit within 2 s. The RPC outcome is reported as
// "rpc_error" ("" when the call returned normally).
func stepCrash(r *Run, arg string) (Fields, error) {
	code, err := strconv.Atoi(arg)
	if err != nil {
		return nil, err
	}
	c, cancel := ctx()
	defer cancel()
	_, rpcErr := r.Services.Crash(c, &interoppb.CrashRequest{ExitCode: int32(code)})
	rpcText := ""
	if rpcErr != nil {
		rpcText = rpcErr.Error()
	}
	deadline := time.Now().Add(2 * time.Second)
	for !r.Client.Exited() {
		if time.Now().After(deadline) {
			if rpcErr != nil {
				return nil, rpcErr
			}
			return nil, errors.New("plugin did not exit")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return Fields{F("exited", true), F("rpc_error", rpcText)}, nil
}

func stepSleep(_ *Run, arg string) (Fields, error) {
	ms, err := strconv.Atoi(arg)
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return nil, nil
}
