package hostapp

// The probe step: one call of qplugin.interop.Probe (any of the four kinds)
// with a deadline, request metadata, a cancel or a SIGKILL of the plugin
// once the server-side handler runs, or many calls at once. It reports what
// the Go client got (status code, message, details, trailer, replies) and,
// for tagged calls, how the server-side handler ended (Probe.Observe).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"qplugin.dev/interop/shared/pb/interoppb"
	"qplugin.dev/interop/shared/services"
)

// probeSpec is the JSON argument of the probe step (see README.md).
type probeSpec struct {
	Kind         string              `json:"kind"`
	Tag          string              `json:"tag"`
	Code         int32               `json:"code"`
	Message      string              `json:"message"`
	Detail       string              `json:"detail"`
	Trailer      []string            `json:"trailer"`
	Replies      uint32              `json:"replies"`
	ReplyBytes   uint32              `json:"reply_bytes"`
	Hold         bool                `json:"hold"`
	EchoMetadata string              `json:"echo_metadata"`
	PayloadBytes int                 `json:"payload_bytes"`
	Requests     int                 `json:"requests"`
	Open         bool                `json:"open"`
	Metadata     map[string][]string `json:"metadata"`
	DeadlineMs   int                 `json:"deadline_ms"`
	Cancel       bool                `json:"cancel"`
	Kill         bool                `json:"kill"`
	Parallel     int                 `json:"parallel"`
	Method       string              `json:"method"`
	Compress     bool                `json:"compress"`
}

// observeTimeout bounds each Probe.Observe wait.
const observeTimeout = 10 * time.Second

func parseProbeSpec(arg string) (*probeSpec, error) {
	dec := json.NewDecoder(strings.NewReader(arg))
	dec.DisallowUnknownFields()
	spec := &probeSpec{}
	if err := dec.Decode(spec); err != nil {
		return nil, fmt.Errorf("probe spec: %v", err)
	}
	switch spec.Kind {
	case "":
		spec.Kind = "unary"
	case "unary", "server", "client", "bidi":
	default:
		return nil, fmt.Errorf("probe spec: kind must be unary, server, client or bidi, not %q", spec.Kind)
	}
	if (spec.Cancel || spec.Kill) && spec.Tag == "" {
		return nil, errors.New("probe spec: cancel and kill need a tag")
	}
	if spec.Method != "" && spec.Kind != "unary" {
		return nil, errors.New("probe spec: method is for unary calls only")
	}
	if spec.Requests == 0 {
		spec.Requests = 1
	}
	return spec, nil
}

// outgoing is the request metadata; values of -bin keys are given in base64.
func (s *probeSpec) outgoing() (metadata.MD, error) {
	md := metadata.MD{}
	for k, values := range s.Metadata {
		for _, v := range values {
			if strings.HasSuffix(k, "-bin") {
				raw, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					return nil, fmt.Errorf("probe spec: metadata %s: %v", k, err)
				}
				v = string(raw)
			}
			md.Append(k, v)
		}
	}
	return md, nil
}

func (s *probeSpec) request() *interoppb.ProbeRequest {
	return &interoppb.ProbeRequest{
		Tag: s.Tag, Code: s.Code, Message: s.Message, Detail: s.Detail, Trailer: s.Trailer,
		Replies: s.Replies, ReplyBytes: s.ReplyBytes, Hold: s.Hold, EchoMetadata: s.EchoMetadata,
		Payload: make([]byte, s.PayloadBytes),
	}
}

// probeOutcome is what the client got from one call.
type probeOutcome struct {
	err          error
	trailer      metadata.MD
	replies      []*interoppb.ProbeReply
	replyBytes   int
	echoBinary   bool
	requests     uint32
	requestBytes uint64
}

func (o *probeOutcome) add(r *interoppb.ProbeReply) {
	o.replies = append(o.replies, r)
	o.replyBytes += len(r.GetPayload())
	o.requests, o.requestBytes = r.GetRequests(), r.GetRequestBytes()
}

func (o *probeOutcome) fields() Fields {
	st, _ := status.FromError(o.err)
	errText := ""
	if o.err != nil {
		errText = o.err.Error()
	}
	details := []string{}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *interoppb.EchoResponse:
			details = append(details, "EchoResponse:"+d.GetText())
		case error:
			details = append(details, "error:"+d.Error())
		default:
			details = append(details, fmt.Sprintf("%T", d))
		}
	}
	echoed := []string{}
	if len(o.replies) > 0 {
		for _, v := range o.replies[0].GetMetadata() {
			if o.echoBinary {
				echoed = append(echoed, base64.StdEncoding.EncodeToString(v))
			} else {
				echoed = append(echoed, string(v))
			}
		}
	}
	trailer := o.trailer.Get("x-probe-trailer")
	if trailer == nil {
		trailer = []string{}
	}
	return Fields{
		F("code", st.Code().String()), F("message", st.Message()), F("error", errText),
		F("details", details), F("trailer", trailer),
		F("replies", len(o.replies)), F("reply_bytes", o.replyBytes), F("metadata", echoed),
		F("requests", o.requests), F("request_bytes", o.requestBytes),
	}
}

func stepProbe(r *Run, arg string) (Fields, error) {
	spec, err := parseProbeSpec(arg)
	if err != nil {
		return nil, err
	}
	md, err := spec.outgoing()
	if err != nil {
		return nil, err
	}
	timeout := stepTimeout
	if spec.DeadlineMs > 0 {
		timeout = time.Duration(spec.DeadlineMs) * time.Millisecond
	}
	c, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), timeout)
	defer cancel()
	if spec.Parallel > 0 {
		return r.probeParallel(c, spec), nil
	}

	result := make(chan *probeOutcome, 1)
	go func() { result <- r.probeCall(c, spec) }()
	if spec.Cancel || spec.Kill {
		if _, err := r.observe(spec.Tag, "started"); err != nil {
			cancel()
			<-result
			return nil, fmt.Errorf("observe started: %w", err)
		}
		if spec.Cancel {
			cancel()
		} else if err := r.Cmd.Process.Kill(); err != nil {
			return nil, err
		}
	}
	out := <-result
	fields := out.fields()
	if spec.Tag != "" && !spec.Kill {
		obs, err := r.observe(spec.Tag, "ended")
		if err != nil {
			return append(fields, F("observe_error", err.Error())), nil
		}
		fields = append(fields, F("server_ended", obs.GetEnded()), F("server_deadline_ms", obs.GetDeadlineMs()),
			F("server_request_stream", obs.GetRequestStream()))
	}
	return fields, nil
}

func (r *Run) observe(tag, until string) (*interoppb.ObserveReply, error) {
	c, cancel := context.WithTimeout(context.Background(), observeTimeout)
	defer cancel()
	return r.Services.ProbeObserve(c, &interoppb.ObserveRequest{Tag: tag, Until: until})
}

// probeParallel runs spec.Parallel copies of the call at once.
func (r *Run) probeParallel(c context.Context, spec *probeSpec) Fields {
	var wg sync.WaitGroup
	var mu sync.Mutex
	okCount := 0
	firstError := ""
	for i := 0; i < spec.Parallel; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := r.probeCall(c, spec)
			mu.Lock()
			defer mu.Unlock()
			if out.err == nil && len(out.replies) == 1 && out.replyBytes == int(spec.ReplyBytes) {
				okCount++
			} else if firstError == "" {
				firstError = fmt.Sprintf("err=%v replies=%d", out.err, len(out.replies))
			}
		}()
	}
	wg.Wait()
	return Fields{F("parallel", spec.Parallel), F("ok_count", okCount), F("first_error", firstError)}
}

// probeCall makes one call of spec's kind and collects what came back.
func (r *Run) probeCall(c context.Context, spec *probeSpec) *probeOutcome {
	out := &probeOutcome{trailer: metadata.MD{}, echoBinary: strings.HasSuffix(spec.EchoMetadata, "-bin")}
	req := spec.request()
	var opts []grpc.CallOption
	if spec.Compress {
		// grpc-go then sends grpc-encoding: gzip and compressed-flagged messages.
		opts = append(opts, grpc.UseCompressor(gzip.Name))
	}
	if spec.Kind == "unary" {
		var rep *interoppb.ProbeReply
		var err error
		opts = append(opts, grpc.Trailer(&out.trailer))
		if spec.Method != "" {
			rep = new(interoppb.ProbeReply)
			err = r.Services.Conn.Invoke(c, spec.Method, req, rep, opts...)
		} else {
			rep, err = r.Services.ProbeUnary(c, req, opts...)
		}
		if err == nil {
			out.add(rep)
		}
		out.err = err
		return out
	}
	desc, method := &services.ProbeServerStreamDesc, services.MethodProbeServerStream
	switch spec.Kind {
	case "client":
		desc, method = &services.ProbeClientStreamDesc, services.MethodProbeClientStream
	case "bidi":
		desc, method = &services.ProbeBidiDesc, services.MethodProbeBidi
	}
	st, err := r.Services.ProbeStream(c, desc, method, opts...)
	if err != nil {
		out.err = err
		return out
	}
	out.err = exchange(st, spec, req, out)
	out.trailer = st.Trailer()
	return out
}

// exchange sends spec.Requests copies of req (bidi: reading one reply after
// each), half-closes (unless spec.Open) and reads the rest. A send refused
// because the server already ended (io.EOF) is not the outcome: the status
// read next is.
func exchange(st grpc.ClientStream, spec *probeSpec, req *interoppb.ProbeRequest, out *probeOutcome) error {
	for i := 0; i < spec.Requests; i++ {
		if err := st.SendMsg(req); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
		if spec.Kind == "bidi" {
			rep := new(interoppb.ProbeReply)
			if err := st.RecvMsg(rep); err != nil {
				return finalErr(err)
			}
			out.add(rep)
		}
	}
	if !spec.Open {
		if err := st.CloseSend(); err != nil {
			return err
		}
	}
	if spec.Kind == "client" {
		// One reply; grpc-go checks on its own that nothing follows it.
		rep := new(interoppb.ProbeReply)
		err := st.RecvMsg(rep)
		if err == nil {
			out.add(rep)
		}
		return finalErr(err)
	}
	for {
		rep := new(interoppb.ProbeReply)
		if err := st.RecvMsg(rep); err != nil {
			return finalErr(err)
		}
		out.add(rep)
	}
}

func finalErr(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}
