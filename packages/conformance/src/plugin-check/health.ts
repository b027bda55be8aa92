/**
 * grpc.health.v1.Health/Check("plugin") must answer SERVING.
 * go-plugin's guide for non-Go plugins requires it; Go hosts call it from
 * Ping(), which many applications use as a liveness check. Being the first
 * call on the connection, it also tells whether the connection works.
 */
import { Status } from '@qplugin/go-plugin/protocol';
import {
  HEALTH_SERVICE_NAME,
  Health,
  ServingStatus,
  createClient,
  toRpcError,
} from '@qplugin/go-plugin/internal';
import type { Channel as GrpcChannel } from '@qplugin/go-plugin/internal';

import { Point } from '../points.js';

export const CALL_MS = 10_000;

const FIX_HEALTH =
  'Register grpc.health.v1.Health and set the service "plugin" to SERVING, as go-plugin\'s "Writing plugins in other languages" guide requires (grpc-go: health.NewServer(); grpc-js: the grpc-health-check package; the TS SDK registers it).';

/** The point, and whether the connection works at all (false: later calls are pointless). */
export async function checkHealth(conn: GrpcChannel): Promise<{ point: Point; connected: boolean }> {
  const point = new Point('health', 'grpc.health.v1 "plugin" is SERVING');
  try {
    const res = await createClient(Health, conn).check(
      { service: HEALTH_SERVICE_NAME },
      { deadline: CALL_MS },
    );
    if (res.status === ServingStatus.SERVING) point.pass('SVC-1', 'Check("plugin") = SERVING');
    else point.fail('SVC-1', `Check("plugin") = ${ServingStatus[res.status] ?? res.status}`, FIX_HEALTH);
    return { point, connected: true };
  } catch (err) {
    const rpc = toRpcError(err);
    if (rpc.code === Status.UNAVAILABLE || rpc.code === Status.DEADLINE_EXCEEDED) {
      point.fail(
        'LS-4',
        `no gRPC answer on the announced address: ${rpc.message}`,
        'Serve gRPC (with AutoMTLS: HTTP/2 over TLS with ALPN h2) on the address printed in the handshake, before printing it.',
      );
      return { point, connected: false };
    }
    if (rpc.code === Status.UNIMPLEMENTED)
      point.fail('SVC-1', 'grpc.health.v1.Health is not implemented (Unimplemented)', FIX_HEALTH);
    else if (rpc.code === Status.NOT_FOUND)
      point.fail('SVC-1', 'the health service does not know the service "plugin" (NotFound)', FIX_HEALTH);
    else point.fail('SVC-1', `Check("plugin") failed: ${rpc.message}`, FIX_HEALTH);
    return { point, connected: true };
  }
}
