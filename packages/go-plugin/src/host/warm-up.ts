/**
 * What the first connection of a process to a plugin pays once, paid while the
 * first plugin boots instead (the host only waits for its handshake line then,
 * on a machine with a core to spare). Measured on Node 24 and 20
 * (bench/findings.md §28): `tls.connect` checks the server name, and
 * `net.connect` a TCP host, with `net.isIP`, whose IPv6 pattern V8 compiles on
 * its first use (3–5 ms) and again, to machine code, on its second (~1 ms);
 * the first secure context of a process costs 2–3 ms, later ones under 1 ms
 * (with a CA, 1–40 ms more: §31). Together about a tenth of a first start.
 */
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';

import type { KeyPair } from '../protocol/tls.js';
import { TLS_SERVER_NAME } from '../protocol/tls.js';

let done = false;

/** Once per process; `own`: the host's AutoMTLS certificate, when there is one. */
export function warmUpFirstConnection(own: KeyPair | undefined): void {
  if (done) return;
  done = true;
  isIP(TLS_SERVER_NAME);
  isIP(TLS_SERVER_NAME);
  if (!own) return;
  try {
    // A context like the one the connection will build (mtlsClientOptions: no CA); dropped at once.
    createSecureContext({ cert: own.pem, key: own.privateKeyPem, ca: [] });
  } catch {
    // Only a head start: the connection itself reports what is wrong with the certificate.
  }
}
