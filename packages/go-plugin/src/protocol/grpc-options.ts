/**
 * grpc-js options for every server and channel we create: no message size
 * limit (go-plugin hosts allow 2 GiB), and no channelz bookkeeping (it costs
 * on every call and nothing here reads it).
 */
export const GRPC_OPTIONS = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  'grpc.enable_channelz': 0,
} as const;
