package shared

import (
	"context"

	"google.golang.org/grpc"

	"qplugin.dev/interop/kv/kvpb"
)

const (
	methodGet = "/kv.KV/Get"
	methodPut = "/kv.KV/Put"
)

// grpcClient is the host's KV: each call is one RPC to the plugin.
type grpcClient struct{ conn *grpc.ClientConn }

func (c *grpcClient) Put(key string, value []byte) error {
	return c.conn.Invoke(context.Background(), methodPut, &kvpb.PutRequest{Key: key, Value: value}, &kvpb.Empty{})
}

func (c *grpcClient) Get(key string) ([]byte, error) {
	resp := &kvpb.GetResponse{}
	if err := c.conn.Invoke(context.Background(), methodGet, &kvpb.GetRequest{Key: key}, resp); err != nil {
		return nil, err
	}
	return resp.Value, nil
}

// grpcServer answers the RPCs with the plugin's KV.
type grpcServer struct{ impl KV }

type kvServer interface {
	get(context.Context, *kvpb.GetRequest) (*kvpb.GetResponse, error)
	put(context.Context, *kvpb.PutRequest) (*kvpb.Empty, error)
}

func (s *grpcServer) get(_ context.Context, req *kvpb.GetRequest) (*kvpb.GetResponse, error) {
	v, err := s.impl.Get(req.Key)
	return &kvpb.GetResponse{Value: v}, err
}

func (s *grpcServer) put(_ context.Context, req *kvpb.PutRequest) (*kvpb.Empty, error) {
	return &kvpb.Empty{}, s.impl.Put(req.Key, req.Value)
}

// unary is a MethodDesc that decodes a *Req and calls fn, through the
// server's interceptor when there is one. (The service descriptor is written
// out instead of generated with protoc-gen-go-grpc, like interop/go/shared.)
func unary[Req any](name, fullMethod string, fn func(kvServer, context.Context, *Req) (interface{}, error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv interface{}, ctx context.Context, dec func(interface{}) error, ic grpc.UnaryServerInterceptor) (interface{}, error) {
			in := new(Req)
			if err := dec(in); err != nil {
				return nil, err
			}
			if ic == nil {
				return fn(srv.(kvServer), ctx, in)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: fullMethod}
			return ic(ctx, in, info, func(ctx context.Context, req interface{}) (interface{}, error) {
				return fn(srv.(kvServer), ctx, req.(*Req))
			})
		},
	}
}

func registerKV(s *grpc.Server, impl kvServer) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: "kv.KV",
		HandlerType: (*kvServer)(nil),
		Methods: []grpc.MethodDesc{
			unary("Get", methodGet, func(k kvServer, ctx context.Context, r *kvpb.GetRequest) (interface{}, error) {
				return k.get(ctx, r)
			}),
			unary("Put", methodPut, func(k kvServer, ctx context.Context, r *kvpb.PutRequest) (interface{}, error) {
				return k.put(ctx, r)
			}),
		},
		Metadata: "kv.proto",
	}, impl)
}
