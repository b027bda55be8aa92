// Package services holds hand-written gRPC glue (service descriptors and
// client helpers) for the Quorum and interop services used by the Go peers.
//
// The stubs produced by protoc-gen-go-grpc need a newer grpc-go than the
// v1.27.1 that go-plugin v1.0.1 peers are built with, so the descriptors are
// spelled out here instead. Only APIs present in grpc-go v1.27.1 are used.
package services

import (
	"context"

	"google.golang.org/grpc"

	"qplugin.dev/interop/shared/pb/helloworldpb"
	"qplugin.dev/interop/shared/pb/initpb"
	"qplugin.dev/interop/shared/pb/interoppb"
)

// Fully-qualified method paths as they appear on the wire.
const (
	MethodInit          = "/proto_common.PluginInitializer/Init"
	MethodGreeting      = "/proto.PluginGreeting/Greeting"
	MethodCallBack      = "/qplugin.interop.Interop/CallBack"
	MethodPrint         = "/qplugin.interop.Interop/Print"
	MethodServeCallback = "/qplugin.interop.Interop/ServeCallback"
	MethodCrash         = "/qplugin.interop.Interop/Crash"
	MethodEcho          = "/qplugin.interop.Callback/Echo"
)

// Initializer is Quorum's proto_common.PluginInitializer service.
type Initializer interface {
	Init(context.Context, *initpb.PluginInitialization_Request) (*initpb.PluginInitialization_Response, error)
}

// Greeter is Quorum's proto.PluginGreeting (hello world) service.
type Greeter interface {
	Greeting(context.Context, *helloworldpb.PluginHelloWorld_Request) (*helloworldpb.PluginHelloWorld_Response, error)
}

// Interop is the test-only qplugin.interop.Interop service.
type Interop interface {
	CallBack(context.Context, *interoppb.CallBackRequest) (*interoppb.EchoResponse, error)
	Print(context.Context, *interoppb.PrintRequest) (*interoppb.PrintResponse, error)
	ServeCallback(context.Context, *interoppb.ServeCallbackRequest) (*interoppb.ServeCallbackResponse, error)
	Crash(context.Context, *interoppb.CrashRequest) (*interoppb.CrashResponse, error)
}

// Callback is the test-only qplugin.interop.Callback service, served over the
// go-plugin broker by either side.
type Callback interface {
	Echo(context.Context, *interoppb.EchoRequest) (*interoppb.EchoResponse, error)
}

// unary builds a MethodDesc whose handler decodes a *Req and hands it to call,
// going through the server's interceptor when one is installed.
func unary[Req any](name, fullMethod string, call func(srv interface{}, ctx context.Context, req *Req) (interface{}, error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv interface{}, ctx context.Context, dec func(interface{}) error, ic grpc.UnaryServerInterceptor) (interface{}, error) {
			in := new(Req)
			if err := dec(in); err != nil {
				return nil, err
			}
			if ic == nil {
				return call(srv, ctx, in)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: fullMethod}
			return ic(ctx, in, info, func(ctx context.Context, req interface{}) (interface{}, error) {
				return call(srv, ctx, req.(*Req))
			})
		},
	}
}

// RegisterInitializer registers impl as proto_common.PluginInitializer on s.
func RegisterInitializer(s *grpc.Server, impl Initializer) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "proto_common.PluginInitializer",
		HandlerType: (*Initializer)(nil),
		Methods: []grpc.MethodDesc{
			unary("Init", MethodInit,
				func(srv interface{}, ctx context.Context, req *initpb.PluginInitialization_Request) (interface{}, error) {
					return srv.(Initializer).Init(ctx, req)
				}),
		},
		Metadata: "init.proto",
	}, impl)
}

// RegisterGreeter registers impl as proto.PluginGreeting on s.
func RegisterGreeter(s *grpc.Server, impl Greeter) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "proto.PluginGreeting",
		HandlerType: (*Greeter)(nil),
		Methods: []grpc.MethodDesc{
			unary("Greeting", MethodGreeting,
				func(srv interface{}, ctx context.Context, req *helloworldpb.PluginHelloWorld_Request) (interface{}, error) {
					return srv.(Greeter).Greeting(ctx, req)
				}),
		},
		Metadata: "helloworld.proto",
	}, impl)
}

// RegisterInterop registers impl as qplugin.interop.Interop on s.
func RegisterInterop(s *grpc.Server, impl Interop) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "qplugin.interop.Interop",
		HandlerType: (*Interop)(nil),
		Methods: []grpc.MethodDesc{
			unary("CallBack", MethodCallBack,
				func(srv interface{}, ctx context.Context, req *interoppb.CallBackRequest) (interface{}, error) {
					return srv.(Interop).CallBack(ctx, req)
				}),
			unary("Print", MethodPrint,
				func(srv interface{}, ctx context.Context, req *interoppb.PrintRequest) (interface{}, error) {
					return srv.(Interop).Print(ctx, req)
				}),
			unary("ServeCallback", MethodServeCallback,
				func(srv interface{}, ctx context.Context, req *interoppb.ServeCallbackRequest) (interface{}, error) {
					return srv.(Interop).ServeCallback(ctx, req)
				}),
			unary("Crash", MethodCrash,
				func(srv interface{}, ctx context.Context, req *interoppb.CrashRequest) (interface{}, error) {
					return srv.(Interop).Crash(ctx, req)
				}),
		},
		Metadata: "interop.proto",
	}, impl)
}

// RegisterCallback registers impl as qplugin.interop.Callback on s.
func RegisterCallback(s *grpc.Server, impl Callback) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "qplugin.interop.Callback",
		HandlerType: (*Callback)(nil),
		Methods: []grpc.MethodDesc{
			unary("Echo", MethodEcho,
				func(srv interface{}, ctx context.Context, req *interoppb.EchoRequest) (interface{}, error) {
					return srv.(Callback).Echo(ctx, req)
				}),
		},
		Metadata: "interop.proto",
	}, impl)
}

// EchoFunc adapts a function to the Callback interface.
type EchoFunc func(text string) string

// Echo implements Callback.
func (f EchoFunc) Echo(_ context.Context, req *interoppb.EchoRequest) (*interoppb.EchoResponse, error) {
	return &interoppb.EchoResponse{Text: f(req.GetText())}, nil
}

// call performs one unary RPC and returns the decoded response.
func call[Resp any](ctx context.Context, cc *grpc.ClientConn, method string, req interface{}) (*Resp, error) {
	out := new(Resp)
	if err := cc.Invoke(ctx, method, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Client calls every service above over one connection. Each method is a thin
// wrapper around grpc.ClientConn.Invoke.
type Client struct {
	Conn *grpc.ClientConn
}

// Init calls PluginInitializer.Init.
func (c Client) Init(ctx context.Context, req *initpb.PluginInitialization_Request) (*initpb.PluginInitialization_Response, error) {
	return call[initpb.PluginInitialization_Response](ctx, c.Conn, MethodInit, req)
}

// Greeting calls PluginGreeting.Greeting.
func (c Client) Greeting(ctx context.Context, req *helloworldpb.PluginHelloWorld_Request) (*helloworldpb.PluginHelloWorld_Response, error) {
	return call[helloworldpb.PluginHelloWorld_Response](ctx, c.Conn, MethodGreeting, req)
}

// CallBack calls Interop.CallBack.
func (c Client) CallBack(ctx context.Context, req *interoppb.CallBackRequest) (*interoppb.EchoResponse, error) {
	return call[interoppb.EchoResponse](ctx, c.Conn, MethodCallBack, req)
}

// Print calls Interop.Print.
func (c Client) Print(ctx context.Context, req *interoppb.PrintRequest) (*interoppb.PrintResponse, error) {
	return call[interoppb.PrintResponse](ctx, c.Conn, MethodPrint, req)
}

// ServeCallback calls Interop.ServeCallback.
func (c Client) ServeCallback(ctx context.Context, req *interoppb.ServeCallbackRequest) (*interoppb.ServeCallbackResponse, error) {
	return call[interoppb.ServeCallbackResponse](ctx, c.Conn, MethodServeCallback, req)
}

// Crash calls Interop.Crash.
func (c Client) Crash(ctx context.Context, req *interoppb.CrashRequest) (*interoppb.CrashResponse, error) {
	return call[interoppb.CrashResponse](ctx, c.Conn, MethodCrash, req)
}

// Echo calls Callback.Echo.
func (c Client) Echo(ctx context.Context, req *interoppb.EchoRequest) (*interoppb.EchoResponse, error) {
	return call[interoppb.EchoResponse](ctx, c.Conn, MethodEcho, req)
}
