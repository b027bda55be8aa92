/**
 * Point 7: plugin.GRPCStdio/StreamStdio, which go-plugin hosts (>= 1.1) open
 * right after connecting to receive what the plugin prints after the
 * handshake. A missing service costs a warning in the host's log; but go-plugin
 * 1.1-1.2.0 hosts loop forever on Unimplemented, and 1.1-1.3 hosts (geth:
 * 1.2.2) loop forever on any other error ending the stream.
 */
import { Status } from '@qplugin/go-plugin/protocol';

import type { StdioWatch } from './channel.js';
import { Point, quote } from './points.js';

const FIX_STDIO =
  'Implement plugin.GRPCStdio/StreamStdio: stream what the plugin writes to stdout/stderr after the handshake as StdioData, keep the stream open until shutdown, and end it with status OK.';

/** `gone`: the plugin process has already exited (a lost stream is then not the service's fault). */
export function checkStdio(stdio: StdioWatch, gone: boolean): Point {
  const point = new Point('stdio');
  const end = stdio.ended;
  if (gone && end && (end.code === Status.UNAVAILABLE || end.code === Status.CANCELLED))
    return point.skip('the plugin exited meanwhile (see point 8)');
  if (!end) return point.pass(`stream open${stdio.bytes > 0 ? ` (${stdio.bytes} bytes forwarded)` : ''}`);
  switch (end.code) {
    case Status.UNIMPLEMENTED:
      return point.warn(
        'GRPCStdio is not implemented: hosts log "stdio service not available", and go-plugin 1.1-1.2.0 hosts retry it in an endless loop',
        FIX_STDIO,
      );
    case Status.OK:
      return point.warn(
        'StreamStdio ended (OK) right away: the host gets no output from the plugin',
        FIX_STDIO,
      );
    case Status.UNAVAILABLE:
    case Status.CANCELLED:
      return point.fail(
        `StreamStdio failed: ${end.codeName} ${quote(end.message)} (connection lost)`,
        FIX_STDIO,
      );
    default:
      return point.fail(
        `StreamStdio ended with ${end.codeName} ${quote(end.message)}: go-plugin 1.1-1.3 hosts (geth runs 1.2.2) log "error receiving data" in an endless loop`,
        FIX_STDIO,
      );
  }
}
