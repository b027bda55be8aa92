// Command bench is the Go reference of bench/: a go-plugin v1.8.0 host that
// measures a plugin (any language) and prints one JSON object on stdout.
//
//	bench start      -n 5 [-automtls=false] -- <plugin> [args]
//	bench exec       -n 5 -- <command> [args]          (spawn to exit, e.g. node -e 0)
//	bench latency    -n 10000 -warmup 1000 -- <plugin>
//	bench throughput -c 1,16,64 -duration 2s -- <plugin>
//	bench big        -n 20 -size 1048576 -- <plugin>
//	bench scale      -n 100 -- <plugin>
//
// The TypeScript harness (bench/src/ts-host.ts) takes the same commands and
// prints the same fields, so bench/src/run.ts can interleave the two.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"qplugin.dev/interop/shared/pb/helloworldpb"
	"qplugin.dev/interop/shared/pb/initpb"
	"qplugin.dev/interop/shared/services"
)

type options struct {
	n        int
	warmup   int
	autoMTLS bool
	conc     []int
	duration time.Duration
	size     int
	cmd      []string
}

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: bench <start|exec|latency|throughput|big|scale> [flags] -- <command> [args]"))
	}
	sub := os.Args[1]
	fs := flag.NewFlagSet(sub, flag.ExitOnError)
	n := fs.Int("n", 5, "samples, calls or plugins")
	warmup := fs.Int("warmup", 1000, "warm-up calls (latency)")
	autoMTLS := fs.Bool("automtls", true, "ClientConfig.AutoMTLS")
	conc := fs.String("c", "1,16,64", "calls in flight (throughput)")
	duration := fs.Duration("duration", 2*time.Second, "measured time per concurrency (throughput)")
	size := fs.Int("size", 1<<20, "message bytes (big)")
	_ = fs.Parse(os.Args[2:])
	if fs.NArg() == 0 {
		fail(errors.New("missing plugin command after --"))
	}
	o := options{n: *n, warmup: *warmup, autoMTLS: *autoMTLS, duration: *duration, size: *size, cmd: fs.Args()}
	for _, s := range strings.Split(*conc, ",") {
		c, err := strconv.Atoi(s)
		if err != nil || c < 1 {
			fail(fmt.Errorf("bad -c value %q", s))
		}
		o.conc = append(o.conc, c)
	}

	self := sampleAnon(os.Getpid())
	var out map[string]any
	var err error
	switch sub {
	case "start":
		out, err = runStart(o)
	case "exec":
		out, err = runExec(o)
	case "latency":
		out, err = runLatency(o)
	case "throughput":
		out, err = runThroughput(o)
	case "big":
		out, err = runBig(o)
	case "scale":
		out, err = runScale(o)
	default:
		err = fmt.Errorf("unknown command %q", sub)
	}
	if err != nil {
		fail(err)
	}
	out["harness"] = "go"
	out["go_plugin"] = services.DepVersion(services.GoPluginModule)
	out["grpc"] = services.DepVersion(services.GRPCModule)
	out["host_maxrss_kb"] = selfMaxRSSKB()
	out["host_anon_peak_kb"] = self.finish()
	out["ungraceful_kills"] = ungraceful.Load()
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// hostPlugin dispenses the raw connection; the calls go through services.Client.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("not supported")
}

func (hostPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

// newClient is go-plugin's client as an application would configure it. The
// logger only counts warnings (the TS harness does the same) so that neither
// side pays for formatting host logs.
func newClient(o options) (*plugin.Client, *exec.Cmd) {
	cmd := exec.Command(o.cmd[0], o.cmd[1:]...)
	return plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  services.Handshake,
		Plugins:          plugin.PluginSet{services.PluginKey: hostPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         o.autoMTLS,
		Logger:           warnCounter,
	}), cmd
}

// ungraceful counts go-plugin's "plugin failed to exit gracefully" warnings
// (a kill that needed SIGKILL); nothing below Warn is formatted.
var ungraceful atomic.Int64

type countWriter struct{}

func (countWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "failed to exit gracefully") {
		ungraceful.Add(1)
	}
	return len(p), nil
}

var warnCounter = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: countWriter{}})

// started is a plugin up to Init done, with the time each phase ended.
type started struct {
	client *plugin.Client
	cmd    *exec.Cmd
	svc    services.Client
	phases map[string]float64
	// Sampled only where calls are measured (calls.go): scale starts 100 plugins.
	anon *anonPeak
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// startPlugin runs spawn → handshake (Start) → gRPC connection (Client) →
// health (Ping) → Init, the same steps the TS host takes in start() + init.
func startPlugin(o options) (*started, error) {
	t0 := time.Now()
	client, cmd := newClient(o)
	if _, err := client.Start(); err != nil {
		client.Kill()
		return nil, err
	}
	t1 := time.Now()
	proto, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, err
	}
	raw, err := proto.Dispense(services.PluginKey)
	if err != nil {
		client.Kill()
		return nil, err
	}
	t2 := time.Now()
	if err := proto.Ping(); err != nil {
		client.Kill()
		return nil, err
	}
	t3 := time.Now()
	svc := services.Client{Conn: raw.(*grpc.ClientConn)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := svc.Init(ctx, &initpb.PluginInitialization_Request{RawConfiguration: []byte(`{"language":"en"}`)}); err != nil {
		client.Kill()
		return nil, err
	}
	t4 := time.Now()
	return &started{client: client, cmd: cmd, svc: svc, phases: map[string]float64{
		"handshake_ms": ms(t1.Sub(t0)),
		"connect_ms":   ms(t2.Sub(t1)),
		"health_ms":    ms(t3.Sub(t2)),
		"init_ms":      ms(t4.Sub(t3)),
		"ready_ms":     ms(t4.Sub(t0)),
	}}, nil
}

// stop kills the plugin and reports its peak RSS and peak anonymous RSS (read just before) and the kill time.
func (s *started) stop() map[string]any {
	hwm := procStatusKB(s.cmd.Process.Pid, "VmHWM")
	var anon int64
	if s.anon != nil {
		anon = s.anon.finish()
	}
	t := time.Now()
	s.client.Kill()
	return map[string]any{
		"plugin_hwm_kb": hwm, "plugin_anon_peak_kb": anon,
		"kill_ms": ms(time.Since(t)), "exited": s.client.Exited(),
	}
}

func greet(svc services.Client, msg string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := svc.Greeting(ctx, &helloworldpb.PluginHelloWorld_Request{Msg: msg})
	if err != nil {
		return "", err
	}
	return res.GetMsg(), nil
}
