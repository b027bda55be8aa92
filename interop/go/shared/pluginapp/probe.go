package pluginapp

import (
	"context"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"qplugin.dev/interop/shared/pb/interoppb"
)

// probeServer implements qplugin.interop.Probe: each call ends the way its
// request says, and what the handler of a tagged call saw (its deadline, how
// its context ended) is kept for Observe.
type probeServer struct {
	mu    sync.Mutex
	calls map[string]*probeCall
	// Closed (and replaced) on every change, to wake waiting Observe calls.
	changed chan struct{}
}

type probeCall struct {
	started       bool
	ended         string
	deadlineMs    int64
	requestStream string
}

func newProbeServer() *probeServer {
	return &probeServer{calls: map[string]*probeCall{}, changed: make(chan struct{})}
}

func (p *probeServer) update(tag string, f func(*probeCall)) {
	if tag == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.calls[tag]
	if c == nil {
		c = &probeCall{deadlineMs: -1}
		p.calls[tag] = c
	}
	f(c)
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *probeServer) begin(ctx context.Context, req *interoppb.ProbeRequest) {
	ms := int64(-1)
	if d, ok := ctx.Deadline(); ok {
		ms = time.Until(d).Milliseconds()
	}
	p.update(req.GetTag(), func(c *probeCall) { c.started, c.deadlineMs = true, ms })
}

// end records how the handler of req's call ended: by its context, or by returning.
func (p *probeServer) end(ctx context.Context, req *interoppb.ProbeRequest) {
	how := "returned"
	switch ctx.Err() {
	case context.Canceled:
		how = "canceled"
	case context.DeadlineExceeded:
		how = "deadline"
	}
	p.update(req.GetTag(), func(c *probeCall) { c.ended = how })
}

// finish holds until the context ends if req asks so, records the end and
// returns req's status (nil for OK).
func (p *probeServer) finish(ctx context.Context, req *interoppb.ProbeRequest, setTrailer func(metadata.MD) error) error {
	if req.GetHold() {
		<-ctx.Done()
		p.end(ctx, req)
		return status.FromContextError(ctx.Err()).Err()
	}
	p.end(ctx, req)
	if req.GetCode() == 0 {
		return nil
	}
	if t := req.GetTrailer(); len(t) > 0 {
		if err := setTrailer(metadata.MD{"x-probe-trailer": t}); err != nil {
			return err
		}
	}
	st := status.New(codes.Code(req.GetCode()), req.GetMessage())
	if d := req.GetDetail(); d != "" {
		withDetail, err := st.WithDetails(&interoppb.EchoResponse{Text: d})
		if err != nil {
			return status.Error(codes.Internal, err.Error())
		}
		st = withDetail
	}
	return st.Err()
}

func probeReply(ctx context.Context, req *interoppb.ProbeRequest, index uint32) *interoppb.ProbeReply {
	r := &interoppb.ProbeReply{Index: index, Payload: make([]byte, req.GetReplyBytes())}
	if k := req.GetEchoMetadata(); k != "" {
		md, _ := metadata.FromIncomingContext(ctx)
		for _, v := range md.Get(k) {
			r.Metadata = append(r.Metadata, []byte(v))
		}
	}
	return r
}

func (p *probeServer) Unary(ctx context.Context, req *interoppb.ProbeRequest) (*interoppb.ProbeReply, error) {
	p.begin(ctx, req)
	setTrailer := func(md metadata.MD) error { return grpc.SetTrailer(ctx, md) }
	if err := p.finish(ctx, req, setTrailer); err != nil {
		return nil, err
	}
	return probeReply(ctx, req, 0), nil
}

func (p *probeServer) ServerStream(req *interoppb.ProbeRequest, stream grpc.ServerStream) error {
	ctx := stream.Context()
	p.begin(ctx, req)
	for i := uint32(0); i < req.GetReplies(); i++ {
		if err := stream.SendMsg(probeReply(ctx, req, i)); err != nil {
			p.end(ctx, req)
			return err
		}
	}
	return p.finish(ctx, req, setStreamTrailer(stream))
}

func (p *probeServer) ClientStream(stream grpc.ServerStream) error {
	ctx := stream.Context()
	first, n, size, err := p.receive(stream, nil)
	if err != nil {
		return err
	}
	if err := p.finish(ctx, first, setStreamTrailer(stream)); err != nil {
		return err
	}
	r := probeReply(ctx, first, 0)
	r.Requests, r.RequestBytes = n, size
	return stream.SendMsg(r)
}

func (p *probeServer) Bidi(stream grpc.ServerStream) error {
	ctx := stream.Context()
	first, _, _, err := p.receive(stream, func(in *interoppb.ProbeRequest, n uint32, size uint64) error {
		r := probeReply(ctx, in, n-1)
		r.Requests, r.RequestBytes = n, size
		return stream.SendMsg(r)
	})
	if err != nil {
		return err
	}
	return p.finish(ctx, first, setStreamTrailer(stream))
}

// receive reads requests until the client half-closes, calling each (if set)
// per request with the running counts. The first request names the call.
func (p *probeServer) receive(stream grpc.ServerStream, each func(*interoppb.ProbeRequest, uint32, uint64) error) (*interoppb.ProbeRequest, uint32, uint64, error) {
	ctx := stream.Context()
	first := &interoppb.ProbeRequest{}
	var n uint32
	var size uint64
	for {
		in := new(interoppb.ProbeRequest)
		err := stream.RecvMsg(in)
		if err == io.EOF {
			p.update(first.GetTag(), func(c *probeCall) { c.requestStream = "complete" })
			return first, n, size, nil
		}
		if err == nil && n == 0 {
			first = in
			p.begin(ctx, in)
		}
		if err == nil {
			n++
			size += uint64(len(in.GetPayload()))
			if each != nil {
				err = each(in, n, size)
			}
		}
		if err != nil {
			p.update(first.GetTag(), func(c *probeCall) { c.requestStream = "broken" })
			p.end(ctx, first)
			return nil, 0, 0, err
		}
	}
}

func setStreamTrailer(stream grpc.ServerStream) func(metadata.MD) error {
	return func(md metadata.MD) error {
		stream.SetTrailer(md)
		return nil
	}
}

func (p *probeServer) Observe(ctx context.Context, req *interoppb.ObserveRequest) (*interoppb.ObserveReply, error) {
	until := req.GetUntil()
	if until != "" && until != "started" && until != "ended" {
		return nil, status.Errorf(codes.InvalidArgument, "until must be \"\", \"started\" or \"ended\", not %q", until)
	}
	for {
		p.mu.Lock()
		out := &interoppb.ObserveReply{DeadlineMs: -1}
		if c := p.calls[req.GetTag()]; c != nil {
			out = &interoppb.ObserveReply{Started: c.started, Ended: c.ended, DeadlineMs: c.deadlineMs, RequestStream: c.requestStream}
		}
		changed := p.changed
		p.mu.Unlock()
		if until == "" || (until == "started" && out.Started) || (until == "ended" && out.Ended != "") {
			return out, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
}
