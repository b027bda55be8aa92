/**
 * plugin.GRPCStdio/StreamStdio, which go-plugin hosts (>= 1.1) open right
 * after connecting to receive what the plugin prints after the handshake. A
 * missing service costs a warning in the host's log; but go-plugin 1.1-1.2.0
 * hosts loop forever on Unimplemented, and 1.1-1.3 hosts (geth runs 1.2.2)
 * loop forever on any other error ending the stream.
 */
import { Status } from '@qplugin/go-plugin/protocol';

import { olderThan } from '../go-buildinfo.js';
import { Point, quote } from '../points.js';
import type { StdioWatch } from './channel.js';

const FIX_STDIO =
  'Implement plugin.GRPCStdio/StreamStdio: stream what the plugin writes to stdout/stderr after the handshake as StdioData, keep the stream open until shutdown, and end it with status OK.';

/**
 * `gone`: the plugin process has already exited (a lost stream is then not
 * the service's fault). `goPlugin`: the go-plugin version the plugin was
 * built with, when it is a Go executable.
 */
export function checkStdio(stdio: StdioWatch, gone: boolean, goPlugin?: string): Point {
  const point = new Point('stdio', 'GRPCStdio.StreamStdio');
  const end = stdio.ended;
  if (gone && end && (end.code === Status.UNAVAILABLE || end.code === Status.CANCELLED))
    return point.skip('the plugin exited meanwhile (see the shutdown point)');
  if (!end)
    return point.pass('SVC-3', `stream open${stdio.bytes > 0 ? ` (${stdio.bytes} bytes forwarded)` : ''}`);
  switch (end.code) {
    case Status.UNIMPLEMENTED:
      return olderThan(goPlugin, 'v1.1.0')
        ? point.warn(
            'SVC-3',
            `GRPCStdio is not implemented: the plugin is built with go-plugin ${goPlugin}, which predates it (added in 1.1.0); hosts log "stdio service not available", and go-plugin 1.1-1.2.0 hosts retry it in an endless loop`,
            'Upgrade go-plugin to >= 1.1 for GRPCStdio and rebuild the plugin.',
          )
        : point.warn(
            'SVC-3',
            'GRPCStdio is not implemented: hosts log "stdio service not available", and go-plugin 1.1-1.2.0 hosts retry it in an endless loop',
            FIX_STDIO,
          );
    case Status.OK:
      return point.warn(
        'SVC-3',
        'StreamStdio ended (OK) right away: the host gets no output from the plugin',
        FIX_STDIO,
      );
    case Status.UNAVAILABLE:
    case Status.CANCELLED:
      return point.fail(
        'SVC-3',
        `StreamStdio failed: ${end.codeName} ${quote(end.message)} (connection lost)`,
        FIX_STDIO,
      );
    default:
      return point.fail(
        'SVC-3',
        `StreamStdio ended with ${end.codeName} ${quote(end.message)}: go-plugin 1.1-1.3 hosts (geth runs 1.2.2) log "error receiving data" in an endless loop`,
        FIX_STDIO,
      );
  }
}
