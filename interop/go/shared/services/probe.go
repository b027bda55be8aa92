package services

import (
	"context"

	"google.golang.org/grpc"

	"qplugin.dev/interop/shared/pb/interoppb"
)

// Method paths of the test-only qplugin.interop.Probe service.
const (
	MethodProbeUnary        = "/qplugin.interop.Probe/Unary"
	MethodProbeServerStream = "/qplugin.interop.Probe/ServerStream"
	MethodProbeClientStream = "/qplugin.interop.Probe/ClientStream"
	MethodProbeBidi         = "/qplugin.interop.Probe/Bidi"
	MethodProbeObserve      = "/qplugin.interop.Probe/Observe"
)

// Probe is the server side of qplugin.interop.Probe. The streaming methods get
// the raw grpc.ServerStream (SendMsg/RecvMsg), which is all grpc-go v1.27.1
// offers without generated stubs.
type Probe interface {
	Unary(context.Context, *interoppb.ProbeRequest) (*interoppb.ProbeReply, error)
	ServerStream(*interoppb.ProbeRequest, grpc.ServerStream) error
	ClientStream(grpc.ServerStream) error
	Bidi(grpc.ServerStream) error
	Observe(context.Context, *interoppb.ObserveRequest) (*interoppb.ObserveReply, error)
}

// Stream descriptors, shared by the server registration and the client.
var (
	ProbeServerStreamDesc = grpc.StreamDesc{StreamName: "ServerStream", ServerStreams: true}
	ProbeClientStreamDesc = grpc.StreamDesc{StreamName: "ClientStream", ClientStreams: true}
	ProbeBidiDesc         = grpc.StreamDesc{StreamName: "Bidi", ServerStreams: true, ClientStreams: true}
)

// RegisterProbe registers impl as qplugin.interop.Probe on s.
func RegisterProbe(s *grpc.Server, impl Probe) {
	serverStream := ProbeServerStreamDesc
	serverStream.Handler = func(srv interface{}, stream grpc.ServerStream) error {
		in := new(interoppb.ProbeRequest)
		if err := stream.RecvMsg(in); err != nil {
			return err
		}
		return srv.(Probe).ServerStream(in, stream)
	}
	clientStream := ProbeClientStreamDesc
	clientStream.Handler = func(srv interface{}, stream grpc.ServerStream) error {
		return srv.(Probe).ClientStream(stream)
	}
	bidi := ProbeBidiDesc
	bidi.Handler = func(srv interface{}, stream grpc.ServerStream) error {
		return srv.(Probe).Bidi(stream)
	}
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "qplugin.interop.Probe",
		HandlerType: (*Probe)(nil),
		Methods: []grpc.MethodDesc{
			unary("Unary", MethodProbeUnary,
				func(srv interface{}, ctx context.Context, req *interoppb.ProbeRequest) (interface{}, error) {
					return srv.(Probe).Unary(ctx, req)
				}),
			unary("Observe", MethodProbeObserve,
				func(srv interface{}, ctx context.Context, req *interoppb.ObserveRequest) (interface{}, error) {
					return srv.(Probe).Observe(ctx, req)
				}),
		},
		Streams:  []grpc.StreamDesc{serverStream, clientStream, bidi},
		Metadata: "interop.proto",
	}, impl)
}

// ProbeUnary calls Probe.Unary.
func (c Client) ProbeUnary(ctx context.Context, req *interoppb.ProbeRequest, opts ...grpc.CallOption) (*interoppb.ProbeReply, error) {
	out := new(interoppb.ProbeReply)
	if err := c.Conn.Invoke(ctx, MethodProbeUnary, req, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// ProbeObserve calls Probe.Observe.
func (c Client) ProbeObserve(ctx context.Context, req *interoppb.ObserveRequest) (*interoppb.ObserveReply, error) {
	return call[interoppb.ObserveReply](ctx, c.Conn, MethodProbeObserve, req)
}

// ProbeStream opens one of Probe's streaming methods.
func (c Client) ProbeStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.Conn.NewStream(ctx, desc, method, opts...)
}
