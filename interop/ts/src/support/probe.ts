/** What the gRPC wire tests send with qplugin.interop.Probe, and how they read the answers. */
import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';

import { EchoResponseSchema, RpcStatusSchema } from '../generated/interop_pb.js';

/** Status codes 1..16 (every one but OK). */
export const ERROR_CODES = Array.from({ length: 16 }, (_, i) => i + 1);

/**
 * A status message that needs grpc-message's percent-encoding: non-ASCII,
 * '%' (also followed by hex digits, which must not be decoded twice) and a
 * control character.
 */
export const statusMessage = (code: number): string => `code ${code}: grüße ✓ 100% %41\tdone`;

/** The default receive limit of grpc-go servers, our server and our host. */
export const FOUR_MIB = 4 * 1024 * 1024;

/**
 * A bytes field of n bytes costs n + 5 on the wire when 2^21 ≤ n < 2^28 (a
 * one-byte tag and a four-byte length): the payload that makes a ProbeRequest
 * (payload only) or a ProbeReply (payload only) exactly `total` bytes long.
 */
export const payloadFor = (total: number): number => total - 5;

/** grpc-status-details-bin read as google.rpc.Status: code, message, and the EchoResponse texts. */
export function readDetails(bytes: Uint8Array | undefined): {
  code: number;
  message: string;
  texts: string[];
} {
  if (!bytes) return { code: -1, message: '(no details)', texts: [] };
  const st = fromBinary(RpcStatusSchema, bytes);
  return {
    code: st.code,
    message: st.message,
    texts: st.details.map(
      (a) => anyUnpack(a, EchoResponseSchema)?.text ?? `(not an EchoResponse: ${a.typeUrl})`,
    ),
  };
}
