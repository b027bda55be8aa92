/**
 * The first stdout line, field by field, with the verdict of the hosts that
 * matter: go-plugin up to 1.5 (geth runs 1.2.2) splits the line into at most
 * six fields, newer hosts split on every `|`. Where a Go host would refuse
 * the line, the detail carries go-plugin's own error text.
 */
import { X509Certificate } from 'node:crypto';

import { decodeRawStd } from '@qplugin/go-plugin/internal';

import { Point, quote } from '../points.js';
import type { HostProfile } from '../presets.js';
import { hostKind, tcpListeners } from '../process/listen-address.js';
import { descendants, procAvailable } from '../process/processes.js';
import { describeExit, exitWithin } from '../process/spawn.js';
import type { Spawned } from '../process/spawn.js';
import { messageOf } from '@qplugin/go-plugin/protocol';

export interface Announced {
  line: string;
  /** Absent when the address is unusable. */
  network?: 'unix' | 'tcp';
  address: string;
  /** DER of field 6; decoded leniently when Go would refuse the encoding (the point says so). */
  certificate?: Buffer;
}

const MAX_LINE = 64 * 1024;
const isInt = (s: string): boolean => /^[+-]?\d+$/.test(s);
/** go-plugin's own error text for what a Go host would do. */
const goSays = (text: string): string => `(go-plugin: ${text})`;
/** How a Go host prints an []int: `[6 5]`. */
const goInts = (list: readonly number[]): string => `[${list.join(' ')}]`;

const FIX_NOISE =
  'Print nothing on stdout before the handshake line: send banners and logs to stderr (go-plugin reads only the first stdout line).';
const FIX_PADDING =
  'Strip the "=" padding from the base64 certificate (Go decodes field 6 with base64.RawStdEncoding; Node\'s toString("base64") pads).';
const FIX_BASE64 =
  'Encode the DER certificate in standard base64 (A-Z a-z 0-9 + /) without "=" padding or line breaks.';
const FIX_LOOPBACK =
  'Bind the TCP listener to 127.0.0.1 only and announce 127.0.0.1:PORT (better: a unix socket); a plugin reachable from the network can be probed by anyone.';

type Found = { line: string; noise: string[] } | { noise: string[]; end: 'eof' | 'timeout' };

function looksLikeHandshake(line: string): boolean {
  const parts = line.trim().split('|');
  return parts.length >= 4 && isInt(parts[0]!.trim());
}

async function firstHandshakeLine(proc: Spawned, timeoutMs: number): Promise<Found> {
  const deadline = Date.now() + timeoutMs;
  const noise: string[] = [];
  for (let i = 0; ; i++) {
    const next = await proc.stdout.line(i, deadline);
    if (next === 'eof' || next === 'timeout') return { noise, end: next };
    if (looksLikeHandshake(next)) return { line: next, noise };
    noise.push(next);
  }
}

export async function checkHandshake(
  proc: Spawned,
  profile: HostProfile,
  timeoutMs: number,
): Promise<{ point: Point; announced?: Announced }> {
  const point = new Point('handshake', 'handshake line');
  const found = await firstHandshakeLine(proc, timeoutMs);
  const unrecognized = (line: string): string =>
    goSays(`Unrecognized remote plugin message: ${line.length > 80 ? line.slice(0, 80) + '…' : line}`);
  if (!('line' in found)) {
    if (found.noise.length > 0) {
      point.fail(
        'HS-1',
        `the first stdout line is not a handshake: ${quote(found.noise[0]!)} ${unrecognized(found.noise[0]!)}, and no handshake followed`,
        FIX_NOISE,
      );
    } else if (found.end === 'eof') {
      const exit = await exitWithin(proc, 1000);
      const last = proc.stderr.lines.filter((l) => l.trim() !== '').at(-1);
      point.fail(
        'HS-1',
        `stdout closed without a handshake${exit ? ` (${describeExit(exit)})` : ''}${last ? `; last stderr line: ${quote(last)}` : ''}`,
        `Read the plugin's stderr (--verbose); it must start serving when ${profile.cookie.key} is set and print the handshake line.`,
      );
    } else {
      const partial = proc.stdout.partial;
      point.fail(
        'HS-1',
        `no handshake line within ${Math.round(timeoutMs / 1000)} s${partial ? ` (stdout has ${quote(partial, 60)} without a newline)` : ''}`,
        partial
          ? 'End the handshake with "\\n" and flush stdout: Go hosts read whole lines.'
          : "The plugin must print its handshake within the host's start timeout (go-plugin: 1 minute); check its stderr (--verbose), or raise --timeout for a slow starter.",
      );
    }
    return { point };
  }
  if (found.noise.length > 0) {
    point.fail(
      'HS-1',
      `${found.noise.length} line(s) on stdout before the handshake, first ${quote(found.noise[0]!)} ${unrecognized(found.noise[0]!)}`,
      FIX_NOISE,
    );
  }
  return { point, announced: analyze(found.line, point, proc.pid, profile) };
}

function analyze(line: string, point: Point, pid: number, profile: HostProfile): Announced {
  const example = profile.autoMTLS
    ? `${profile.protocolVersions[0]}|unix|/path/to/socket|grpc|<certificate>`
    : `${profile.protocolVersions[0]}|unix|/path/to/socket|grpc|`;
  const fixFormat = `Print exactly \`1|${example}\` (or tcp and 127.0.0.1:PORT) and a newline as the first stdout line.`;
  if (Buffer.byteLength(line) > MAX_LINE) {
    point.fail(
      'HS-1',
      `the handshake line is ${Buffer.byteLength(line)} bytes; Go hosts read at most 64 KiB`,
      fixFormat,
    );
  }
  const parts = line.trim().split('|');
  const spaced = parts.findIndex((p) => p !== p.trim());
  if (spaced >= 0) {
    point.fail(
      'HS-2',
      `spaces around "|" (field ${spaced + 1} is ${quote(parts[spaced]!)}; Go does not trim fields: "${parts[spaced]}" fails to parse)`,
      'Join the fields with a bare "|", no spaces.',
    );
  }
  // Judge the rest on trimmed fields, so one mistake is not reported five times.
  const f = parts.map((p) => p.trim());
  const [core, app, network, address, protocol, cert] = f as [string, string, string, string, ...string[]];

  if (f.length === 5 && profile.autoMTLS) {
    point.warn(
      'HS-2',
      '5 fields: fine for old hosts, but without field 6 there is no certificate, hence no mTLS',
      fixTls(profile),
    );
  } else if (f.length === 7) {
    const glued = parts.slice(5).join('|');
    let effect = ' (ignored there only because the certificate is empty)';
    if (glued.length > 50) {
      try {
        decodeRawStd(glued);
      } catch (err) {
        effect = ' ' + goSays(`error parsing server cert: ${messageOf(err)}`);
      }
    }
    point.fail(
      'HS-8',
      `7 fields ("|${f[6]}" after the certificate) although PLUGIN_MULTIPLEX_GRPC was not set: go-plugin <= 1.5 hosts read field 6 as "<certificate>|${f[6]}"${effect}`,
      'Append the 7th field ("|true") only when the host sets PLUGIN_MULTIPLEX_GRPC.',
    );
  } else if (f.length > 7) {
    point.fail(
      'HS-2',
      `${f.length} fields; a handshake has 6 (7 only with PLUGIN_MULTIPLEX_GRPC)`,
      fixFormat,
    );
  }

  if (!isInt(core) || Number(core) !== 1) {
    point.fail(
      'HS-3',
      `core version ${quote(core)} ${goSays(`incompatible core API version with plugin. Plugin version: ${core}, Core version: 1`)}`,
      'Field 1 is the go-plugin core protocol version and must be 1.',
    );
  }
  const offered = profile.protocolVersions;
  if (!isInt(app) || !offered.includes(Number(app))) {
    point.fail(
      'HS-4',
      `app version ${quote(app)} ${goSays(`incompatible API version with plugin. Plugin version: ${app}, Client versions: ${goInts(offered)}`)}`,
      `Field 2 is the app protocol version: ${profile.host} offers PLUGIN_PROTOCOL_VERSIONS=${offered.join(',')}, so print the highest of those the plugin speaks.`,
    );
  }

  const announced: Announced = { line, address };
  if (network === 'unix') {
    if (!address.startsWith('/'))
      point.warn(
        'HS-5',
        `relative unix socket path ${quote(address)}: the host resolves it from its own working directory, not the plugin's`,
        'Announce the absolute path of the socket.',
      );
    announced.network = network;
  } else if (network === 'tcp') {
    if (checkTcp(address, point, pid)) announced.network = network;
  } else {
    point.fail(
      'HS-5',
      `network ${quote(network)} ${goSays(`unknown address type: ${address}`)}`,
      'Field 3 must be "unix" or "tcp".',
    );
  }

  if (f.length < 5) {
    point.fail(
      'HS-6',
      `no protocol field: go-plugin then assumes net/rpc ${goSays('unsupported plugin protocol "netrpc". Supported: [grpc]')}`,
      'Add field 5 "grpc" (and field 6, the certificate).',
    );
  } else if (protocol !== 'grpc') {
    point.fail(
      'HS-6',
      `protocol ${quote(protocol!)} ${goSays(`unsupported plugin protocol ${JSON.stringify(protocol)}. Supported: [grpc]`)}`,
      'Serve gRPC and print "grpc" in field 5: net/rpc needs Go\'s gob encoding.',
    );
  }

  if (profile.autoMTLS) {
    if (cert !== undefined) {
      const certificate = decodeCertificate(cert, point, profile);
      if (certificate) announced.certificate = certificate;
    } else {
      point.fail(
        'HS-7',
        'no certificate in the handshake: the plugin ignored PLUGIN_CLIENT_CERT',
        fixTls(profile),
      );
    }
  } else if (cert !== undefined && cert.length > 50) {
    point.fail(
      'HS-7',
      `a certificate in field 6 although the host sent no PLUGIN_CLIENT_CERT: go-plugin hosts without AutoMTLS crash on it (nil TLS configuration in loadServerCert)`,
      'Without PLUGIN_CLIENT_CERT, serve plaintext gRPC and leave field 6 empty.',
    );
  }
  if (point.status === 'pass') point.pass('HS-2', `${f.length} well-formed fields: ${quote(line, 80)}`);
  return announced;
}

const fixTls = (profile: HostProfile): string =>
  `Read PLUGIN_CLIENT_CERT, serve gRPC over TLS with a fresh certificate (SAN DNS:localhost) requiring client certificates signed by it, and put the certificate in field 6: ${profile.host} uses AutoMTLS.`;

function checkTcp(address: string, point: Point, pid: number): boolean {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, Math.max(colon, 0));
  const port = address.slice(colon + 1);
  if (colon < 0 || !/^\d+$/.test(port) || Number(port) > 65535) {
    point.fail('HS-5', `tcp address ${quote(address)} is not host:port`, 'Announce 127.0.0.1:PORT.');
    return false;
  }
  const kind = hostKind(host);
  if (kind === 'wildcard' || kind === 'other') {
    point.fail(
      'LS-3',
      `tcp address ${quote(address)} is not loopback${kind === 'wildcard' ? ' (it announces the wildcard address: listening on every interface)' : ''}`,
      FIX_LOOPBACK,
    );
  } else if (kind === 'unspecified') {
    point.warn('HS-5', `tcp address ${quote(address)} has no host`, 'Announce 127.0.0.1:PORT explicitly.');
  }
  if (procAvailable()) {
    const pids = [pid, ...descendants(pid).map((p) => p.pid)];
    const exposed = tcpListeners(pids).filter(
      (l) => l.port === Number(port) && hostKind(l.host) !== 'loopback',
    );
    if (exposed.length > 0 && kind !== 'wildcard' && kind !== 'other') {
      point.fail(
        'LS-3',
        `announces ${address} but listens on ${exposed.map((l) => `${l.host}:${l.port}`).join(', ')}: reachable from the network`,
        FIX_LOOPBACK,
      );
    }
  }
  return true;
}

function decodeCertificate(field: string, point: Point, profile: HostProfile): Buffer | undefined {
  if (field.length <= 50) {
    point.fail(
      'HS-7',
      field === ''
        ? 'empty certificate field: the plugin ignored PLUGIN_CLIENT_CERT and serves without TLS'
        : `certificate field of ${field.length} characters: go-plugin ignores 50 or fewer, so there is no TLS`,
      fixTls(profile),
    );
    return undefined;
  }
  let der: Buffer;
  try {
    der = decodeRawStd(field);
  } catch (err) {
    const padded = /=+$/.test(field);
    point.fail(
      'HS-7',
      `certificate is ${padded ? 'padded' : 'not unpadded standard'} base64: Go hosts refuse it ${goSays(`error parsing server cert: ${messageOf(err)}`)}`,
      padded ? FIX_PADDING : FIX_BASE64,
    );
    // Go would stop here; keep going with what the plugin meant, to check the rest.
    der = Buffer.from(field.replace(/[=\s]/g, ''), 'base64');
  }
  try {
    new X509Certificate(der);
  } catch (err) {
    point.fail(
      'TLS-2',
      `field 6 is not an X.509 certificate ${goSays(`error parsing server cert: ${messageOf(err)}`)}`,
      "Field 6 must be the DER encoding of the plugin's TLS certificate, in unpadded base64.",
    );
    return undefined;
  }
  return der;
}
