/**
 * The handshake line a plugin prints as its first stdout line:
 *   CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT[|MUX]
 * Formatting follows what Go plugins print; parsing follows go-plugin
 * v1.8.0's host, check by check and in the same order, with its error texts.
 */
import { X509Certificate } from 'node:crypto';

import { decodeRawStd, encodeRawStd } from './base64raw.js';
import { CORE_PROTOCOL_VERSION } from './env.js';
import { GoPluginError, messageOf } from './errors.js';
import { goAtoi, goParseBool, goQuote } from './gostrconv.js';

export type Network = 'unix' | 'tcp';

export interface HandshakeFields {
  appVersion: number;
  network: Network;
  address: string;
  /** Always `grpc` for us; other values only appear when parsing foreign plugins. */
  protocol?: string;
  /** DER of the plugin's server certificate (AutoMTLS), if any. */
  certificate?: Uint8Array;
  /** Append the 7th field. Only when the host set PLUGIN_MULTIPLEX_GRPC: hosts <= 1.5 break on it. */
  multiplex?: boolean;
}

/** The line, without the trailing newline. */
export function formatHandshake(fields: HandshakeFields): string {
  if (!Number.isSafeInteger(fields.appVersion)) {
    throw new GoPluginError(
      'INVALID_OPTIONS',
      `app protocol version ${fields.appVersion} is not an integer`,
      {
        fix: 'Give the handshake protocolVersion as a whole number.',
      },
    );
  }
  if (/[|\r\n]/.test(fields.address)) {
    throw new GoPluginError(
      'INVALID_OPTIONS',
      `listener address ${goQuote(fields.address)} contains "|" or a newline`,
      {
        fix: 'Use a socket directory whose path has no "|" or newline (PLUGIN_UNIX_SOCKET_DIR or TMPDIR).',
        details: { address: fields.address },
      },
    );
  }
  const parts = [
    String(CORE_PROTOCOL_VERSION),
    String(fields.appVersion),
    fields.network,
    fields.address,
    fields.protocol ?? 'grpc',
    fields.certificate ? encodeRawStd(fields.certificate) : '',
  ];
  if (fields.multiplex) parts.push('true');
  return parts.join('|');
}

export interface HandshakeExpectations {
  /** Versions the host offered in PLUGIN_PROTOCOL_VERSIONS. */
  offeredVersions: readonly number[];
  /** Protocols the host accepts. Default `['grpc']`. */
  allowedProtocols?: readonly string[];
  /** The host set PLUGIN_MULTIPLEX_GRPC. */
  multiplexRequested?: boolean;
  /** stdout reached EOF before a line arrived (adds go-plugin's note). */
  stdoutClosed?: boolean;
  /** Extra diagnosis appended to a bad-line error (the host's notes about the executable). */
  diagnose?: string;
}

export interface ParsedHandshake {
  coreVersion: number;
  appVersion: number;
  network: Network;
  address: string;
  protocol: string;
  /** DER, when field 6 carried a certificate (longer than 50 characters). */
  certificate?: Buffer;
  multiplex: boolean;
  /** The line as received, trimmed. */
  line: string;
}

/** go-plugin's diagnosis text for a line that is not a handshake. */
export const UNRECOGNIZED_DIAGNOSIS =
  'This usually means\n' +
  '  the plugin was not compiled for this architecture,\n' +
  '  the plugin is missing dynamic-link libraries necessary to run,\n' +
  '  the plugin is not executable by this process due to file permissions, or\n' +
  '  the plugin failed to negotiate the initial go-plugin protocol handshake\n';

/** Go's fmt %v of an []int: `[1 2]`. */
function goIntSlice(values: readonly number[]): string {
  return `[${values.join(' ')}]`;
}

/**
 * Validates a handshake line as a go-plugin v1.8.0 host does. Throws a
 * {@link GoPluginError} whose message is go-plugin's text for the first check
 * that fails.
 */
export function parseHandshake(rawLine: string, expect: HandshakeExpectations): ParsedHandshake {
  const line = goTrimSpace(rawLine);
  const parts = line.split('|');
  if (parts.length < 4) {
    let text = `Unrecognized remote plugin message: ${line}`;
    if (expect.stdoutClosed) text += "\nFailed to read any lines from plugin's stdout";
    text += '\n' + UNRECOGNIZED_DIAGNOSIS + (expect.diagnose ?? '');
    throw new GoPluginError('HANDSHAKE_BAD_LINE', text, {
      fix: expect.stdoutClosed
        ? 'The plugin exited or closed stdout without printing the handshake; read its stderr, and check that it was started with the magic cookie.'
        : 'The first line a plugin prints on stdout must be the handshake (CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT); move any banner or log output to stderr.',
      details: { line, fields: parts.length },
    });
  }
  const [core, app, network, address] = parts as [string, string, string, string];

  let coreVersion: number;
  try {
    coreVersion = goAtoi(core);
  } catch (err) {
    throw new GoPluginError(
      'HANDSHAKE_CORE_VERSION',
      `error parsing core protocol version: ${messageOf(err)}`,
      {
        fix: 'Field 1 of the handshake must be the number 1, with no spaces around "|".',
        details: { field: 1, value: core },
      },
    );
  }
  if (coreVersion !== CORE_PROTOCOL_VERSION) {
    throw new GoPluginError(
      'HANDSHAKE_CORE_VERSION',
      `incompatible core API version with plugin. Plugin version: ${core}, Core version: ${CORE_PROTOCOL_VERSION}\n\n` +
        'To fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author',
      { fix: 'Field 1 of the handshake must be 1.', details: { field: 1, value: core } },
    );
  }

  let appVersion: number;
  try {
    appVersion = goAtoi(app);
  } catch (err) {
    throw new GoPluginError(
      'HANDSHAKE_APP_VERSION',
      `Error parsing protocol version ${goQuote(app)}: ${messageOf(err)}`,
      {
        fix: 'Field 2 of the handshake must be the negotiated app protocol version, a decimal number.',
        details: { field: 2, value: app },
      },
    );
  }
  if (!expect.offeredVersions.includes(appVersion)) {
    throw new GoPluginError(
      'HANDSHAKE_APP_VERSION',
      `incompatible API version with plugin. Plugin version: ${appVersion}, Client versions: ${goIntSlice(expect.offeredVersions)}`,
      {
        fix: `The plugin must pick one of the versions in PLUGIN_PROTOCOL_VERSIONS (${expect.offeredVersions.join(',')}); upgrade whichever side is older.`,
        details: { field: 2, value: appVersion, offered: [...expect.offeredVersions] },
      },
    );
  }

  if (network !== 'unix' && network !== 'tcp') {
    throw new GoPluginError('HANDSHAKE_NETWORK', `unknown address type: ${address}`, {
      fix: `Field 3 of the handshake must be "unix" or "tcp", not ${goQuote(network)}.`,
      details: { field: 3, value: network, address },
    });
  }
  if (network === 'tcp') checkTcpAddress(address);

  const protocol = parts.length >= 5 ? parts[4]! : 'netrpc';
  const allowed = expect.allowedProtocols ?? ['grpc'];
  if (!allowed.includes(protocol)) {
    throw new GoPluginError(
      'HANDSHAKE_PROTOCOL',
      `unsupported plugin protocol ${goQuote(protocol)}. Supported: [${allowed.join(' ')}]`,
      {
        fix:
          protocol === 'netrpc'
            ? 'net/rpc plugins (or a handshake without field 5) are not supported: serve gRPC and print "grpc" in field 5.'
            : `Field 5 of the handshake must be one of: ${allowed.join(', ')}.`,
        details: { field: 5, value: protocol },
      },
    );
  }

  let certificate: Buffer | undefined;
  const certField = parts[5];
  if (certField !== undefined && certField.length > 50) {
    try {
      const der = decodeRawStd(certField);
      checkDerCertificate(der);
      certificate = der;
    } catch (err) {
      throw new GoPluginError('HANDSHAKE_CERT', `error parsing server cert: ${messageOf(err)}`, {
        fix: 'Field 6 must be the DER certificate in standard base64 without "=" padding or line breaks (strip the "=" Node adds).',
        details: { field: 6, length: certField.length },
      });
    }
  }

  let multiplex = false;
  if (expect.multiplexRequested && protocol === 'grpc') {
    const muxField = parts[6];
    if (muxField === undefined) {
      throw new GoPluginError(
        'HANDSHAKE_MUX',
        'client requested gRPC broker multiplexing but plugin does not support the feature; for Go plugins, you will need to update the github.com/hashicorp/go-plugin dependency and recompile',
        {
          fix: 'Turn multiplexing off in the host, or update the plugin (go-plugin >= 1.6).',
          details: { field: 7 },
        },
      );
    }
    try {
      multiplex = goParseBool(muxField);
    } catch {
      throw new GoPluginError(
        'HANDSHAKE_MUX',
        `error parsing ${goQuote(muxField)} as a boolean for gRPC broker multiplexing support`,
        {
          fix: 'Field 7 must be "true" when the plugin supports multiplexing.',
          details: { field: 7, value: muxField },
        },
      );
    }
    if (!multiplex) {
      throw new GoPluginError(
        'HANDSHAKE_MUX',
        'client requested gRPC broker multiplexing but plugin does not support the feature',
        {
          fix: 'Turn multiplexing off in the host, or use a plugin that supports it.',
          details: { field: 7, value: muxField },
        },
      );
    }
  }

  return { coreVersion, appVersion, network, address, protocol, certificate, multiplex, line };
}

/**
 * Go's unicode.IsSpace: Latin-1 spaces (with U+0085 and U+00A0) and the
 * White_Space property. Differs from JS's trim: U+FEFF is not a space in Go,
 * U+0085 is.
 */
function isGoSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** strings.TrimSpace (every Go space is a single UTF-16 unit, so units are enough). */
function goTrimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s.charCodeAt(start))) start++;
  while (end > start && isGoSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/**
 * net.ResolveTCPAddr's checks that need no DNS: net.SplitHostPort, then the
 * port as LookupPort parses it (optional sign, decimal, "" is port 0, 0 to
 * 65535), with Go's texts. A host name is not looked up; a port name (Go
 * would consult /etc/services) is refused as an unknown port.
 */
function checkTcpAddress(address: string): void {
  // Go resolves "" to the unspecified address without checking anything.
  if (address === '') return;
  const fail = (addr: string, why: string): never => {
    throw new GoPluginError('HANDSHAKE_NETWORK', `address ${addr}: ${why}`, {
      fix: 'A tcp address must be host:port, e.g. 127.0.0.1:10000.',
      details: { field: 4, value: address },
    });
  };
  const colon = address.lastIndexOf(':');
  if (colon < 0) fail(address, 'missing port in address');
  let from = 0;
  let after = 0;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) fail(address, "missing ']' in address");
    if (close + 1 === address.length) fail(address, 'missing port in address');
    if (close + 1 !== colon) {
      fail(
        address,
        address.charAt(close + 1) === ':' ? 'too many colons in address' : 'missing port in address',
      );
    }
    from = 1;
    after = close + 1;
  } else if (address.slice(0, colon).includes(':')) {
    fail(address, 'too many colons in address');
  }
  if (address.slice(from).includes('[')) fail(address, "unexpected '[' in address");
  if (address.slice(after).includes(']')) fail(address, "unexpected ']' in address");
  const port = address.slice(colon + 1);
  const digits = port.replace(/^[+-]/, '');
  if (port !== '' && !/^[0-9]+$/.test(digits)) {
    throw new GoPluginError('HANDSHAKE_NETWORK', `lookup tcp/${port}: unknown port`, {
      fix: 'Give the port of a tcp address as a number, e.g. 127.0.0.1:10000.',
      details: { field: 4, value: address },
    });
  }
  // Go saturates long numbers; any of them is out of range here.
  const value = digits.length > 6 ? Infinity : Number(digits || '0');
  if (value > 65535 || (port.startsWith('-') && value > 0)) fail(port, 'invalid port');
}

/** Splits a tcp handshake address into a host to dial and a port. */
export function splitTcpAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  // Go dials the local system for an empty host.
  return { host: host === '' ? '127.0.0.1' : host, port: Number(address.slice(colon + 1)) };
}

/** Throws if the bytes are not exactly one parsable X.509 certificate (Go's x509.ParseCertificate). */
function checkDerCertificate(der: Buffer): void {
  const certificate = new X509Certificate(der);
  // OpenSSL stops reading at the end of the certificate; Go refuses bytes after it.
  if (certificate.raw.length !== der.length) throw new Error('x509: trailing data');
}
