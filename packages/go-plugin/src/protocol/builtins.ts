/**
 * go-plugin's built-in services, by their exact wire names. Generated from
 * our own .proto files under packages/go-plugin/proto (npm run generate).
 */
export {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../generated/grpc/health/v1/health_pb.js';
// The service is exported as GRPCBrokerService: GRPCBroker is the broker class (broker.ts).
export {
  GRPCBroker as GRPCBrokerService,
  ConnInfoSchema,
  ConnInfo_KnockSchema,
} from '../generated/plugin/grpc_broker_pb.js';
export type { ConnInfo } from '../generated/plugin/grpc_broker_pb.js';
export { GRPCController } from '../generated/plugin/grpc_controller_pb.js';
export { GRPCStdio, StdioData_Channel as StdioChannel } from '../generated/plugin/grpc_stdio_pb.js';
